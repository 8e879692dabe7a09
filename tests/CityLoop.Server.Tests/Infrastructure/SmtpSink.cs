using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace CityLoop.Server.Tests.Infrastructure;

/// <summary>A minimal SMTP server on 127.0.0.1 that accepts every message and keeps it, for e-mail tests.</summary>
public sealed partial class SmtpSink : IAsyncDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    public sealed record Mail(IReadOnlyList<string> To, string Data)
    {
        /// <summary>The Subject header with RFC 2047 encoded words decoded.</summary>
        public string Subject
        {
            get
            {
                var m = SubjectLine().Match(Data);
                if (!m.Success) return "";
                // Adjacent encoded words may split one character's bytes: join the bytes, then decode.
                var words = EncodedWord().Matches(m.Groups[1].Value);
                if (words.Count == 0) return m.Groups[1].Value.Trim();
                var bytes = words.SelectMany(w => Convert.FromBase64String(w.Groups[3].Value)).ToArray();
                return Encoding.UTF8.GetString(bytes);
            }
        }
    }

    public ConcurrentQueue<Mail> Received { get; } = new();
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public SmtpSink()
    {
        _listener.Start();
        _loop = AcceptAsync(_stop.Token);
    }

    async Task AcceptAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(ct); }
            catch (OperationCanceledException) { return; }
            _ = Task.Run(() => ServeAsync(client, ct), ct);
        }
    }

    async Task ServeAsync(TcpClient client, CancellationToken ct)
    {
        using var _ = client;
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        await writer.WriteLineAsync("220 sink ESMTP");
        var to = new List<string>();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            var verb = line.Split(' ', 2)[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                case "HELO":
                    await writer.WriteLineAsync("250 sink");
                    break;
                case "RCPT":
                    to.Add(line[(line.IndexOf(':') + 1)..].Trim().Trim('<', '>'));
                    await writer.WriteLineAsync("250 OK");
                    break;
                case "DATA":
                    await writer.WriteLineAsync("354 go ahead");
                    var data = new StringBuilder();
                    while (await reader.ReadLineAsync(ct) is { } d && d != ".") data.Append(d).Append("\r\n");
                    Received.Enqueue(new Mail(to.ToList(), data.ToString()));
                    to.Clear();
                    await writer.WriteLineAsync("250 queued");
                    break;
                case "QUIT":
                    await writer.WriteLineAsync("221 bye");
                    return;
                default:
                    await writer.WriteLineAsync("250 OK");
                    break;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _loop; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }

    [GeneratedRegex(@"^Subject: ([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", RegexOptions.Multiline)]
    private static partial Regex SubjectLine();

    [GeneratedRegex(@"=\?([^?]+)\?([Bb])\?([^?]*)\?=")]
    private static partial Regex EncodedWord();
}
