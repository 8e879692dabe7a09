using System.Globalization;
using CityLoop.Server.Features.Cases;

namespace CityLoop.Server.Features.Attachments;

/// <summary>A photo as uploaded: the name the sender gave it and its bytes (read at most one buffer past the limit).</summary>
public sealed record UploadedPhoto(string? FileName, byte[] Content);

/// <summary>A photo that passed every check: the name it is stored under, its type by content, its bytes and its thumbnail.</summary>
public sealed record CheckedPhoto(string FileName, string ContentType, byte[] Bytes, byte[] Thumbnail);

/// <summary>Why a photo is refused, in both languages; <see cref="Exception.Message"/> is the user's language.</summary>
public sealed class PhotoRefusal(string zh, string en) : Exception(Shared.Ui.Pick(zh, en))
{
    public string Zh { get; } = zh;
    public string En { get; } = en;
}

/// <summary>
/// The one check of photos sent with a report, for every channel that takes them (the citizen portal, the inspector's
/// phone, Open311): how many, how large, the type by content (never the name or the browser's claim: JPEG, PNG or WebP
/// only) and that it decodes — its thumbnail is made here, once. The refusals are the same words everywhere.
/// </summary>
public static class PhotoUploads
{
    /// <summary>
    /// Reads the uploaded files, each no more than one buffer past <paramref name="maxBytes"/>: the size check then
    /// refuses an oversized one without holding a huge file. Empty parts without a name (an unused file input) are skipped.
    /// </summary>
    public static async Task<List<UploadedPhoto>> ReadAsync(IEnumerable<IFormFile> files, long maxBytes, CancellationToken ct)
    {
        var photos = new List<UploadedPhoto>();
        foreach (var f in files.Where(f => f.Length > 0 || !string.IsNullOrEmpty(f.FileName)))
        {
            using var ms = new MemoryStream();
            await using (var s = f.OpenReadStream())
            {
                var buffer = new byte[81920];
                int n;
                while ((n = await s.ReadAsync(buffer, ct)) > 0 && ms.Length <= maxBytes) ms.Write(buffer, 0, n);
            }
            photos.Add(new UploadedPhoto(f.FileName, ms.ToArray()));
        }
        return photos;
    }

    /// <summary>
    /// Checks the photos in order and refuses at the first one that fails; <paramref name="prefix"/> names the stored
    /// files (<c>prefix-1.jpg</c>…). Nothing is stored by this check.
    /// </summary>
    public static IReadOnlyList<CheckedPhoto> Check(IReadOnlyList<UploadedPhoto> photos, int maxCount, long maxBytes, string prefix, bool required = false)
    {
        var given = photos.Where(p => p.Content.Length > 0 || !string.IsNullOrEmpty(p.FileName)).ToList();
        if (required && given.Count == 0) throw new PhotoRefusal("请拍摄至少一张现场照片。", "Take at least one photo on site.");
        if (given.Count > maxCount) throw TooMany(maxCount);
        return given.Select((p, i) => CheckOne(p, maxBytes, $"{prefix}-{i + 1}")).ToList();
    }

    public static PhotoRefusal TooMany(int maxCount) => new($"最多上传 {maxCount} 张照片。", $"At most {maxCount} photos.");

    /// <summary>One photo's checks; <paramref name="storedName"/> gets the extension of the type found.</summary>
    public static CheckedPhoto CheckOne(UploadedPhoto photo, long maxBytes, string storedName)
    {
        var name = Clip(Path.GetFileName(photo.FileName ?? ""));
        if (photo.Content.Length == 0) throw new PhotoRefusal($"照片“{name}”是空文件。", $"The photo '{name}' is empty.");
        if (photo.Content.Length > maxBytes)
            throw new PhotoRefusal($"照片“{name}”超过 {Megabytes(maxBytes)} MB，请压缩后再上传。",
                $"The photo '{name}' is larger than {Megabytes(maxBytes)} MB: make it smaller and try again.");
        // The bytes decide, never the name or the browser's claim: only photos, no PDF or anything else.
        var type = CaseEndpoints.SniffType(photo.Content);
        if (type is not ("image/jpeg" or "image/png" or "image/webp"))
            throw new PhotoRefusal($"“{name}”不是照片：只能上传 JPEG、PNG 或 WebP 格式的图片。",
                $"'{name}' is not a photo: only JPEG, PNG and WebP images can be uploaded.");
        var thumbnail = Thumbnails.TryMake(photo.Content)
            ?? throw new PhotoRefusal($"“{name}”无法作为图片读取：只能上传 JPEG、PNG 或 WebP 格式的图片。",
                $"'{name}' cannot be read as a picture: only JPEG, PNG and WebP images can be uploaded.");
        return new CheckedPhoto($"{storedName}.{type[6..].Replace("jpeg", "jpg")}", type, photo.Content, thumbnail);
    }

    public static string Megabytes(long bytes) => (bytes / (1024.0 * 1024)).ToString("0.#", CultureInfo.InvariantCulture);

    static string Clip(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
