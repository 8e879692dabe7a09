using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CityLoop.Server.Tests.Infrastructure;

/// <summary>Small helpers for talking to the API the way a client would.</summary>
public static class Api
{
    /// <summary>
    /// Waits until another node has heard a change committed on this one: a NOTIFY arrives within milliseconds, so two
    /// seconds is far below the minutes a node's copy would otherwise live. Fails with <paramref name="message"/>.
    /// </summary>
    public static async Task Soon(Func<Task<bool>> seen, Func<string> message)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await seen())
        {
            Xunit.Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), message());
            await Task.Delay(10);
        }
    }

    public static object Report(string description = "金城中路井盖缺失", string requestType = "complaint", string? phone = "13812341234", bool confidential = false, string? category = "C0101") => new
    {
        source = "hotline",
        requestType,
        description,
        categoryCode = category,
        location = new { lat = 24.69, lon = 108.06 },
        address = "金城江区金城中路 12 号",
        reporter = new { name = "张先生", phone, confidential },
    };

    public static async Task<JsonElement> CreateCase(HttpClient client, object? body = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/cases") { Content = JsonContent.Create(body ?? Report()) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        var response = await client.SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await Describe(response));
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static Task<HttpResponseMessage> Act(HttpClient client, Guid id, string action, object? body = null) =>
        client.PostAsJsonAsync($"/api/v1/cases/{id}/actions/{action}", body ?? new { });

    public static async Task<JsonElement> ActOk(HttpClient client, Guid id, string action, object? body = null)
    {
        var response = await Act(client, id, action, body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{action}: {await Describe(response)}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Asserts an RFC 7807 problem with the given status and returns it.</summary>
    public static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.True(response.StatusCode == status, $"expected {(int)status}: {await Describe(response)}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        return problem;
    }

    public static async Task<JsonElement> Get(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, await Describe(response));
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static Guid Id(this JsonElement e) => e.GetProperty("id").GetGuid();
    public static string State(this JsonElement e) => e.GetProperty("state").GetString()!;
    public static string Str(this JsonElement e, string name) => e.GetProperty(name).ToString();

    public static async Task<string[]> Actions(HttpClient client, Guid id) =>
        (await Get(client, $"/api/v1/cases/{id}/events")).EnumerateArray().Select(e => e.GetProperty("action").GetString()!).ToArray();

    static async Task<string> Describe(HttpResponseMessage r) => $"{(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}";
}
