using SkiaSharp;

namespace CityLoop.Server.Tests.Infrastructure;

/// <summary>Real, decodable images for tests: uploads are checked by decoding them, so magic bytes alone no longer pass.</summary>
public static class TestImages
{
    public static byte[] Png(int width = 8, int height = 6) => Encode(width, height, SKEncodedImageFormat.Png);

    public static byte[] Jpeg(int width = 8, int height = 6) => Encode(width, height, SKEncodedImageFormat.Jpeg);

    static byte[] Encode(int width, int height, SKEncodedImageFormat format)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        surface.Canvas.Clear(new SKColor(30, 120, 200));
        using var paint = new SKPaint { Color = new SKColor(220, 60, 40) };
        surface.Canvas.DrawRect(0, 0, width / 2f, height / 2f, paint);
        using var image = surface.Snapshot();
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }
}
