using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Cli;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Attachments;
using CityLoop.Server.Tests.Infrastructure;
using CityLoop.Server.Tests.Privacy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Attachments;

/// <summary>
/// Attachments in a directory every node shares (Attachments:Directory) instead of the database: the row keeps no bytes,
/// the file is named by the id, downloads and thumbnails work, rows stored in the database before still read, and the
/// backup carries the directory beside the database's copy so that a restore finds every photo.
/// </summary>
public abstract class AttachmentDirectoryTests<TApp>(TApp app) where TApp : AppFixture
{
    static string TempDir() => Path.Combine(Path.GetTempPath(), "cityloop-tests", "attachments-" + Guid.NewGuid().ToString("N"));

    static async Task<Guid> UploadAsync(HttpClient client, Guid caseId, byte[] bytes, string name)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "file", name } };
        var response = await client.PostAsync($"/api/v1/cases/{caseId}/attachments", form);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).Id();
    }

    static string[] Db(string provider, string cs, string dir) =>
        [$"--Database:Provider={provider}", $"--Database:ConnectionString={cs}", $"--Privacy:KeyFile={CityLoopFactory.KeyFile}", $"--Attachments:Directory={dir}"];

    [Fact]
    public async Task InADirectory_TheRowKeepsNoBytes_DownloadsWork_OlderRowsStillRead_AndBackupAndRestoreCarryTheFiles()
    {
        // A photo stored the default way, in the database, before the directory is configured.
        var agent = await app.As("agent");
        var c = await Api.CreateCase(agent, Api.Report(description: "附件目录：井盖破损"));
        var before = TestImages.Png(20, 10);
        var inDatabase = await UploadAsync(agent, c.Id(), before, "before.png");

        var dir = TempDir();
        await using var node = app.NewFactory(new Dictionary<string, string> { ["Attachments:Directory"] = dir });
        var onNode = await app.As("agent", node);
        var after = TestImages.Jpeg(40, 30);
        var inDirectory = await UploadAsync(onNode, c.Id(), after, "after.jpg");

        var file = AttachmentStore.PathIn(dir, inDirectory);
        Assert.Equal(after, await File.ReadAllBytesAsync(file));
        using (var scope = node.Services.CreateScope())
        {
            var row = await scope.ServiceProvider.GetRequiredService<CityLoopDb>().Attachments.AsNoTracking().SingleAsync(a => a.Id == inDirectory);
            Assert.Empty(row.Content);
            Assert.Equal(after.Length, row.Size);
            Assert.NotNull(row.Thumbnail);
        }
        Assert.Equal(after, await onNode.GetByteArrayAsync($"/api/v1/attachments/{inDirectory}"));
        Assert.Equal(before, await onNode.GetByteArrayAsync($"/api/v1/attachments/{inDatabase}"));
        Assert.True((await onNode.GetAsync($"/api/v1/attachments/{inDirectory}/thumbnail")).IsSuccessStatusCode);
        // A node without the directory says where the bytes are instead of failing.
        var problem = await Api.Problem(await agent.GetAsync($"/api/v1/attachments/{inDirectory}"), System.Net.HttpStatusCode.NotFound);
        Assert.Contains("Attachments:Directory", problem.GetProperty("detail").GetString());

        // The backup copies the directory beside the database's copy; the restore puts it where the new node keeps it.
        var backup = Path.Combine(Path.GetTempPath(), "cityloop-tests", $"backup-{Guid.NewGuid():N}.{(app.Provider == "postgres" ? "dump" : "db")}");
        Assert.Equal(0, await Verbs.RunAsync(["backup", backup, .. Db(app.Provider, app.ConnectionString, dir)]));
        Assert.True(File.Exists(AttachmentStore.PathIn(backup + ".attachments", inDirectory)));
        var target = FreshDatabase.ConnectionString(app);
        // Without a directory to restore the files into, the restore refuses before it touches the database.
        Assert.Equal(2, await Verbs.RunAsync(["restore", backup, $"--Database:Provider={app.Provider}", $"--Database:ConnectionString={target}", $"--Privacy:KeyFile={CityLoopFactory.KeyFile}"]));
        var restoredDir = TempDir();
        Assert.Equal(0, await Verbs.RunAsync(["restore", backup, .. Db(app.Provider, target, restoredDir)]));
        Assert.Equal(0, await Verbs.RunAsync(["migrate", .. Db(app.Provider, target, restoredDir)]));
        await using var restored = new CityLoopFactory(app.Provider, target, app.Clock, new Dictionary<string, string> { ["Attachments:Directory"] = restoredDir });
        var again = await FreshDatabase.As(restored, "agent");
        Assert.Equal(after, await again.GetByteArrayAsync($"/api/v1/attachments/{inDirectory}"));
        Assert.Equal(before, await again.GetByteArrayAsync($"/api/v1/attachments/{inDatabase}"));
    }
}

[Collection("sqlite")]
public sealed class AttachmentDirectoryTests_Sqlite(SqliteApp app) : AttachmentDirectoryTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class AttachmentDirectoryTests_Postgres(PostgresApp app) : AttachmentDirectoryTests<PostgresApp>(app), IClassFixture<PostgresApp>;
