using SkiaSharp;

namespace CityLoop.Server.Features.Attachments;

/// <summary>
/// Thumbnails of the photos attached to cases: decoded with SkiaSharp, scaled to fit a square, written as JPEG and kept
/// with the attachment (decision record 024). A file that carries an image's magic bytes but does not decode as one is
/// refused: the content decides, not the name or the declared type.
/// </summary>
public static class Thumbnails
{
    /// <summary>The longest edge of a thumbnail, in pixels: large enough for a 2× screen at 160 px.</summary>
    public const int Edge = 320;

    /// <summary>Photos larger than this (in pixels) are refused before decoding: a few bytes can declare a huge canvas.</summary>
    public const long MaxPixels = 60_000_000;

    public const string ContentType = "image/jpeg";

    public static bool IsImage(string contentType) => contentType.StartsWith("image/", StringComparison.Ordinal);

    /// <summary>The thumbnail of an image's bytes, or null when they do not decode as an image of a sane size.</summary>
    public static byte[]? TryMake(byte[] content)
    {
        using var data = SKData.CreateCopy(content);
        using var codec = SKCodec.Create(data);
        if (codec is null) return null;
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0 || (long)info.Width * info.Height > MaxPixels) return null;
        using var decoded = SKBitmap.Decode(codec, new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        if (decoded is null) return null;
        using var upright = Orient(decoded, codec.EncodedOrigin);
        var scale = Math.Min(1.0, (double)Edge / Math.Max(upright.Width, upright.Height));
        var width = Math.Max(1, (int)Math.Round(upright.Width * scale));
        var height = Math.Max(1, (int)Math.Round(upright.Height * scale));
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        // JPEG has no transparency: a transparent PNG is laid on white, as it looks on the page.
        canvas.Clear(SKColors.White);
        using var image = SKImage.FromBitmap(upright);
        canvas.DrawImage(image, new SKRect(0, 0, width, height), new SKSamplingOptions(SKCubicResampler.Mitchell));
        using var snapshot = surface.Snapshot();
        using var jpeg = snapshot.Encode(SKEncodedImageFormat.Jpeg, 80);
        return jpeg?.ToArray();
    }

    /// <summary>Phones store photos turned with an EXIF orientation; the thumbnail is drawn the way up people see it.</summary>
    static SKBitmap Orient(SKBitmap source, SKEncodedOrigin origin)
    {
        float w = source.Width, h = source.Height;
        var quarter = origin is SKEncodedOrigin.RightTop or SKEncodedOrigin.LeftBottom;
        if (!quarter && origin != SKEncodedOrigin.BottomRight) return source.Copy();
        var result = new SKBitmap(quarter ? source.Height : source.Width, quarter ? source.Width : source.Height, source.ColorType, source.AlphaType);
        using var canvas = new SKCanvas(result);
        switch (origin)
        {
            case SKEncodedOrigin.BottomRight: canvas.RotateDegrees(180); canvas.Translate(-w, -h); break;
            case SKEncodedOrigin.RightTop: canvas.Translate(h, 0); canvas.RotateDegrees(90); break;
            case SKEncodedOrigin.LeftBottom: canvas.Translate(0, w); canvas.RotateDegrees(-90); break;
        }
        using var image = SKImage.FromBitmap(source);
        canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Nearest), null);
        return result;
    }
}
