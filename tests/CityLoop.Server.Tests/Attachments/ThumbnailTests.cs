using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Attachments;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;

namespace CityLoop.Server.Tests.Attachments;

/// <summary>Thumbnails: made for images when they are stored, refused for what only pretends to be an image, served only to those who may see the case.</summary>
public abstract class ThumbnailTests<TApp>(TApp app) where TApp : AppFixture
{
    static MultipartFormDataContent File(byte[] bytes, string name, string type = "image/png")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return new MultipartFormDataContent { { content, "file", name } };
    }

    async Task<Guid> DispatchedToSzglc()
    {
        var c = await Api.CreateCase(await app.As("agent"), Api.Report(phone: null));
        await Api.ActOk(await app.As("leader"), c.Id(), "file", new { standardItem = "C0101-01" });
        await Api.ActOk(await app.As("dispatcher"), c.Id(), "dispatch", new { leadDepartment = "SZGLC" });
        return c.Id();
    }

    [Fact]
    public async Task AnImage_GetsAThumbnail_ThatFitsTheEdge_AndIsServedAsJpeg()
    {
        var handler = await app.As("handler");
        var id = await DispatchedToSzglc();
        var uploaded = await handler.PostAsync($"/api/v1/cases/{id}/attachments", File(TestImages.Png(800, 600), "现场.png"));
        Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        var a = await uploaded.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(a.GetProperty("hasThumbnail").GetBoolean());
        var url = a.GetProperty("thumbnailUrl").GetString();
        Assert.Equal($"/api/v1/attachments/{a.Id()}/thumbnail", url);

        var thumb = await handler.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, thumb.StatusCode);
        Assert.Equal("image/jpeg", thumb.Content.Headers.ContentType?.MediaType);
        Assert.Contains("private", thumb.Headers.CacheControl?.ToString());
        using var bitmap = SKBitmap.Decode(await thumb.Content.ReadAsByteArrayAsync());
        Assert.Equal((Thumbnails.Edge, Thumbnails.Edge * 3 / 4), (bitmap.Width, bitmap.Height));
        // The original is kept as it came.
        Assert.Equal(TestImages.Png(800, 600), await handler.GetByteArrayAsync($"/api/v1/attachments/{a.Id()}"));
        // A small image is not enlarged.
        var small = await (await handler.PostAsync($"/api/v1/cases/{id}/attachments", File(TestImages.Jpeg(40, 30), "小图.jpg", "image/jpeg")))
            .Content.ReadFromJsonAsync<JsonElement>();
        using var smallThumb = SKBitmap.Decode(await handler.GetByteArrayAsync(small.GetProperty("thumbnailUrl").GetString()));
        Assert.Equal((40, 30), (smallThumb.Width, smallThumb.Height));
    }

    [Fact]
    public async Task WhatOnlyStartsLikeAnImage_IsRefusedByContent_AndNothingIsStored()
    {
        var agent = await app.As("agent");
        var c = await Api.CreateCase(agent);
        byte[] fakePng = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4, 5, 6, 7, 8];
        var problem = await Api.Problem(await agent.PostAsync($"/api/v1/cases/{c.Id()}/attachments", File(fakePng, "photo.png")), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("file", problem.GetRawText());
        byte[] truncatedJpeg = [.. TestImages.Jpeg(64, 48).Take(20)];
        await Api.Problem(await agent.PostAsync($"/api/v1/cases/{c.Id()}/attachments", File(truncatedJpeg, "photo.jpg", "image/jpeg")), HttpStatusCode.UnprocessableEntity);
        // Calling a text file a photo changes nothing either.
        await Api.Problem(await agent.PostAsync($"/api/v1/cases/{c.Id()}/attachments", File("not a photo"u8.ToArray(), "photo.jpg", "image/jpeg")), HttpStatusCode.UnprocessableEntity);
        Assert.DoesNotContain("attach", await Api.Actions(agent, c.Id()));

        // A PDF is accepted, without a thumbnail.
        var pdf = await (await agent.PostAsync($"/api/v1/cases/{c.Id()}/attachments", File("%PDF-1.4\n%\n"u8.ToArray(), "单据.pdf", "application/pdf")))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(pdf.GetProperty("hasThumbnail").GetBoolean());
        Assert.Equal(JsonValueKind.Null, pdf.GetProperty("thumbnailUrl").ValueKind);
        await Api.Problem(await agent.GetAsync($"/api/v1/attachments/{pdf.Id()}/thumbnail"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Thumbnails_AreServedOnlyToThoseWhoMaySeeTheCase()
    {
        var id = await DispatchedToSzglc();
        var handler = await app.As("handler");
        var a = await (await handler.PostAsync($"/api/v1/cases/{id}/attachments", File(TestImages.Png(64, 64), "site.png")))
            .Content.ReadFromJsonAsync<JsonElement>();
        var thumb = $"/api/v1/attachments/{a.Id()}/thumbnail";

        Assert.Equal(HttpStatusCode.OK, (await handler.GetAsync(thumb)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await (await app.As("dispatcher")).GetAsync(thumb)).StatusCode);
        // Another department sees neither the case nor its photos; the audit administrator reads no cases; nobody anonymous.
        var otherDepartment = await app.As("dept-hwc");
        await Api.Problem(await otherDepartment.GetAsync(thumb), HttpStatusCode.NotFound);
        await Api.Problem(await otherDepartment.GetAsync($"/api/v1/attachments/{a.Id()}"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.Forbidden, (await (await app.As("auditor")).GetAsync(thumb)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().GetAsync(thumb)).StatusCode);
        await Api.Problem(await handler.GetAsync($"/api/v1/attachments/{Guid.NewGuid()}/thumbnail"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task HandlingWithPhotos_IsOneStep_AndARefusedStepKeepsNoPhoto()
    {
        var id = await DispatchedToSzglc();
        await Api.ActOk(await app.As("handler"), id, "sign-for");
        using var scope = app.Factory.Services.CreateScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<CityLoopDb>();
        var u = await db.Users.AsNoTracking().SingleAsync(x => x.UserName == "handler");
        var actor = new Actor(u.Id.ToString(), u.DisplayName, u.RoleSet(), u.DepartmentCode);
        var version = (await Api.Get(await app.As("handler"), $"/api/v1/cases/{id}")).GetProperty("version").GetInt32();
        IFormFile Photo(string name, byte[] bytes) => new FormFile(new MemoryStream(bytes), 0, bytes.Length, "photos", name)
            { Headers = new HeaderDictionary(), ContentType = "image/png" };

        // Without its result text the step is refused: the photos sent with it are not kept.
        var refused = await Assert.ThrowsAsync<CaseValidationException>(() => sp.GetRequiredService<ActionWithPhotos>()
            .PerformAsync(id, CaseAction.Finish, new ActionInput(), [Photo("after.png", TestImages.Png(32, 24))], actor, version));
        Assert.Contains("result", refused.Errors.Keys);
        db.ChangeTracker.Clear();
        Assert.Equal(0, await db.Attachments.CountAsync(x => x.CaseId == id));

        // A photo that is not one refuses the whole step, and the case is unchanged.
        await Assert.ThrowsAsync<CaseValidationException>(() => sp.GetRequiredService<ActionWithPhotos>().PerformAsync(id, CaseAction.Finish,
            new ActionInput { Result = "已修复" }, [Photo("after.png", TestImages.Png(32, 24)), Photo("fake.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 9])],
            actor, version));
        db.ChangeTracker.Clear();
        Assert.Equal(0, await db.Attachments.CountAsync(x => x.CaseId == id));
        Assert.Equal(CaseState.Handling, (await db.Cases.AsNoTracking().SingleAsync(x => x.Id == id)).State);

        await sp.GetRequiredService<ActionWithPhotos>().PerformAsync(id, CaseAction.Finish, new ActionInput { Result = "井盖已更换。" },
            [Photo("after-1.png", TestImages.Png(32, 24)), Photo("after-2.png", TestImages.Png(24, 32))], actor, version);
        db.ChangeTracker.Clear();
        var stored = await db.Attachments.AsNoTracking().Where(x => x.CaseId == id).Select(x => new { x.Id, HasThumbnail = x.Thumbnail != null }).ToListAsync();
        Assert.Equal(2, stored.Count);
        Assert.All(stored, s => Assert.True(s.HasThumbnail));
        var events = await Api.Get(await app.As("handler"), $"/api/v1/cases/{id}/events");
        var finish = events.EnumerateArray().Single(e => e.GetProperty("action").GetString() == "finish");
        Assert.Equal(stored.Select(s => s.Id).Order(), finish.GetProperty("payload").GetProperty("attachmentIds").EnumerateArray().Select(x => x.GetGuid()).Order());
        Assert.NotEqual("handling", (await Api.Get(await app.As("handler"), $"/api/v1/cases/{id}")).State());
    }
}

[Collection("sqlite")]
public sealed class ThumbnailTests_Sqlite(SqliteApp app) : ThumbnailTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class ThumbnailTests_Postgres(PostgresApp app) : ThumbnailTests<PostgresApp>(app), IClassFixture<PostgresApp>;
