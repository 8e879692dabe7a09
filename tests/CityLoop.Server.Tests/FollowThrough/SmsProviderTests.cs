using System.Net;
using CityLoop.Server.Features.Notifications;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Tests.FollowThrough;

/// <summary>The generic HTTP SMS adapter: the gateway is configuration, the text is URL-encoded into its template.</summary>
public sealed class SmsProviderTests
{
    sealed class Gateway : HttpMessageHandler
    {
        public List<HttpRequestMessage> Requests { get; } = [];
        public HttpStatusCode Status { get; set; } = HttpStatusCode.OK;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            Requests.Add(request);
            return Task.FromResult(new HttpResponseMessage(Status));
        }
    }

    static HttpSmsProvider Provider(Gateway gateway, string method = "GET") => new(new HttpClient(gateway), Options.Create(new NotificationOptions
    {
        Sms = new SmsOptions { Provider = "http", Method = method, UrlTemplate = "https://sms.example.cn/send?to={phone}&msg={text}&key=k1" },
    }));

    [Fact]
    public async Task HttpProvider_CallsTheConfiguredUrl_WithPhoneAndTextEncoded()
    {
        var gateway = new Gateway();
        Assert.Equal("sent", await Provider(gateway).SendAsync("13800000000", "【催办】案件 A&B", CancellationToken.None));
        var uri = Assert.Single(gateway.Requests).RequestUri!;
        Assert.Equal("https://sms.example.cn/send?to=13800000000&msg=%E3%80%90%E5%82%AC%E5%8A%9E%E3%80%91%E6%A1%88%E4%BB%B6%20A%26B&key=k1", uri.AbsoluteUri);
    }

    [Fact]
    public async Task HttpProvider_WhenTheGatewayFails_Throws_SoTheMessageIsRetried()
    {
        var gateway = new Gateway { Status = HttpStatusCode.BadGateway };
        await Assert.ThrowsAsync<HttpRequestException>(() => Provider(gateway, "POST").SendAsync("13800000000", "x", CancellationToken.None));
        Assert.Equal(HttpMethod.Post, Assert.Single(gateway.Requests).Method);
    }
}
