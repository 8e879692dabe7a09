using CityLoop.Server.Data;
using CityLoop.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Attachments;

/// <summary>Section "Attachments": where the bytes of photos and files are kept.</summary>
public sealed class AttachmentOptions
{
    /// <summary>
    /// Empty (the default): in the database, so the nodes stay stateless and one backup holds everything. Set: a
    /// directory every node mounts (NFS, a shared volume), the database keeping the row without its bytes.
    /// </summary>
    public string? Directory { get; set; }
}

/// <summary>
/// Keeps and reads attachment bytes (decision record 024, section "Where the bytes live"). With a directory, a file is
/// named by the attachment's id, written whole (to a temporary name, then moved) before the row that names it is
/// saved, and never changed; a row whose <see cref="Attachment.Content"/> is empty while its size is not has its bytes
/// in the directory. Rows stored before the directory was configured keep their bytes in the database and are read from
/// there.
/// </summary>
public sealed class AttachmentStore(IOptions<AttachmentOptions> options)
{
    public string? Directory => string.IsNullOrWhiteSpace(options.Value.Directory) ? null : Path.GetFullPath(options.Value.Directory);

    public static string PathIn(string directory, Guid id)
    {
        var name = id.ToString("N");
        return Path.Combine(directory, name[..2], name);
    }

    /// <summary>Puts the bytes where they are kept: into the row, or into the directory (the row then keeps none).</summary>
    public async Task KeepAsync(Attachment a, byte[] bytes, CancellationToken ct = default)
    {
        a.Size = bytes.Length;
        if (Directory is not { } dir)
        {
            a.Content = bytes;
            return;
        }
        var path = PathIn(dir, a.Id);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp-" + Guid.NewGuid().ToString("N");
        await File.WriteAllBytesAsync(temporary, bytes, ct);
        File.Move(temporary, path, overwrite: true);
        a.Content = [];
    }

    /// <summary>The bytes of an attachment, wherever they are kept.</summary>
    public async Task<byte[]> ReadAsync(Attachment a, CancellationToken ct = default)
    {
        if (a.Content.Length > 0 || a.Size == 0) return a.Content;
        if (Directory is not { } dir)
            throw new NotFoundException($"The bytes of attachment {a.Id} are kept in an attachment directory, and Attachments:Directory is not set on this node.");
        var path = PathIn(dir, a.Id);
        if (!File.Exists(path)) throw new NotFoundException($"The file of attachment {a.Id} is missing from the attachment directory.");
        return await File.ReadAllBytesAsync(path, ct);
    }

    /// <summary>Copies a directory tree (the backup of the attachment directory, and its restore); existing files are kept.</summary>
    public static int CopyTree(string from, string to)
    {
        var copied = 0;
        foreach (var file in System.IO.Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file).Contains(".tmp-", StringComparison.Ordinal)) continue;
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (File.Exists(target)) continue;
            File.Copy(file, target);
            copied++;
        }
        return copied;
    }
}
