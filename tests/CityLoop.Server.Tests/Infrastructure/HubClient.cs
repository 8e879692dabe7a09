using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace CityLoop.Server.Tests.Infrastructure;

/// <summary>Just enough of the SignalR JSON protocol over a WebSocket to see what a page would be pushed.</summary>
public static class HubClient
{
    const char Separator = '\u001e';

    public static async Task<WebSocket> ConnectAsync(CityLoopFactory factory, string bearer)
    {
        var client = factory.Server.CreateWebSocketClient();
        client.ConfigureRequest = r => r.Headers.Authorization = "Bearer " + bearer;
        var ws = await client.ConnectAsync(new Uri(factory.Server.BaseAddress, "hubs/notifications"), CancellationToken.None);
        await ws.SendAsync(Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}" + Separator), WebSocketMessageType.Text, true, CancellationToken.None);
        var handshake = await ReadAsync(ws, CancellationToken.None);
        Assert.Equal("{}", handshake.Single().Trim());
        return ws;
    }

    /// <summary>The first argument of the first invocation of <paramref name="target"/> that matches.</summary>
    public static async Task<JsonElement> ReceiveAsync(WebSocket ws, string target, TimeSpan timeout, Func<JsonElement, bool> match)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            foreach (var frame in await ReadAsync(ws, cts.Token))
            {
                using var doc = JsonDocument.Parse(frame);
                var root = doc.RootElement;
                if (root.GetProperty("type").GetInt32() == 1 && root.GetProperty("target").GetString() == target)
                {
                    var arg = root.GetProperty("arguments")[0].Clone();
                    if (match(arg)) return arg;
                }
            }
        }
    }

    static async Task<List<string>> ReadAsync(WebSocket ws, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        var text = new StringBuilder();
        WebSocketReceiveResult result;
        do
        {
            result = await ws.ReceiveAsync(buffer, ct);
            text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        } while (!result.EndOfMessage);
        return text.ToString().Split(Separator, StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
