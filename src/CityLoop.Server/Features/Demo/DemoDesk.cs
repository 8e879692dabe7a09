using CityLoop.Server.Data;
using CityLoop.Server.Features.Calls;
using CityLoop.Server.Features.Knowledge;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Demo;

/// <summary>
/// The demo city's knowledge base and a few days of hotline calls (answered and missed), written here rather than in
/// the main seeder so the desk's demo data stays in one place. Texts are the demo's own; numbers are generated.
/// </summary>
public static class DemoDesk
{
    static readonly (string Title, string Answer, string? Body, string Keywords, string? Category, string Owner, int FromDays, int? ToDays)[] Articles =
    [
        ("生活垃圾清运时间", "城区生活垃圾每日清运两次：上午 6:00—9:00、下午 17:00—20:00。大件垃圾请提前一天预约上门收运，预约后次日清运。",
            "依据《河池市城市生活垃圾管理办法》。垃圾桶满溢或清运不及时的，可登记工单转环卫处处理。", "垃圾 清运 时间 大件垃圾 预约", "E0102", "HWC", -400, null),
        ("井盖缺失、破损的处理", "井盖缺失属紧急情况：我们已为您登记，市政管理处将在 2 小时内到现场设置围挡和警示标志并补齐井盖。请您远离缺失井盖的位置。",
            "按紧急工作时计（上水、污水、雨水井盖缺失均为 2 小时）；破损、松动的按一般时限办理。", "井盖 缺失 破损 松动 窨井", "C01", "SZGLC", -400, null),
        ("计划停水查询", "计划停水信息会提前 24 小时在供水公司公众号、营业厅和小区公告栏公布。突发停水一般在 12 小时内恢复供水，恢复前请储备用水。",
            "供水公司负责城区供水管网抢修；小区内部管网由物业负责。", "停水 供水 水压 自来水", null, "GSGS", -400, null),
        ("闻到燃气味怎么办", "请立即关闭燃气总阀、打开门窗通风，不要开关电器或使用明火，人员撤离到室外后再拨打燃气抢修电话；有人员受伤或起火请立即拨打 119。",
            "燃气泄漏属紧急警情：坐席应提示安全措施，必要时三方转接 119，并登记工单转燃气公司。", "燃气 煤气 泄漏 漏气 气味", null, "RQGS", -400, null),
        ("路灯不亮报修", "路灯不亮请告诉我们路名和最近的门牌号或电杆编号，我们登记后转市政管理处，一般 2 个工作日内修复。",
            null, "路灯 不亮 熄灭 照明", "C0118", "SZGLC", -400, null),
        ("2025年春节期间垃圾清运安排", "春节期间（除夕至正月初六）生活垃圾每日清运一次，时间为上午 7:00—11:00。",
            null, "春节 垃圾 清运 假期", "E0102", "HWC", -700, -300),
    ];

    public static async Task SeedKnowledgeAsync(CityLoopDb db, DateOnly today, DateTimeOffset now, string editorId, string editorName, CancellationToken ct)
    {
        foreach (var a in Articles)
        {
            var article = new KnowledgeArticle
            {
                Title = a.Title, Answer = a.Answer, Body = a.Body, Keywords = a.Keywords, CategoryCode = a.Category, OwnerDepartmentCode = a.Owner,
                ValidFrom = today.AddDays(a.FromDays), ValidTo = a.ToDays is { } to ? today.AddDays(to) : null,
                CreatedBy = editorId, CreatedByName = editorName, CreatedAt = now, UpdatedBy = editorId, UpdatedByName = editorName, UpdatedAt = now,
            };
            article.Index();
            db.Set<KnowledgeArticle>().Add(article);
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Three days of calls to 12345, about one in eight missed; a few missed callers already called back.</summary>
    public static async Task SeedCallsAsync(CityLoopDb db, string platformCode, DateTimeOffset end, IReadOnlyList<(string Id, string Name)> agents, CancellationToken ct)
    {
        var rng = new Random(20261201);
        for (var i = 0; i < 60; i++)
        {
            var queued = end.AddMinutes(-rng.Next(10, 3 * 24 * 60));
            var missed = rng.NextDouble() < 0.12;
            var agent = agents[rng.Next(agents.Count)];
            var call = new CallRecord
            {
                PlatformCode = platformCode, CallId = $"demo-{i:D4}", CalledLine = "12345",
                CallerPhone = "1380000" + rng.Next(0, 10000).ToString("D4"),
                QueuedAt = queued, AnsweredAt = missed ? null : queued.AddSeconds(rng.Next(3, 60)), ReportedBy = "system:demo", CreatedAt = queued, UpdatedAt = queued,
            };
            call.EndedAt = (call.AnsweredAt ?? queued).AddSeconds(missed ? rng.Next(15, 90) : rng.Next(60, 420));
            if (!missed) (call.AgentId, call.AgentName, call.RecordingRef) = (agent.Id, agent.Name, $"rec://demo/{call.CallId}.wav");
            call.CallerPhoneHash = db.PersonalData.PhoneHash(call.CallerPhone);
            call.Derive();
            if (missed && rng.NextDouble() < 0.4)
                (call.CallbackAt, call.CallbackById, call.CallbackByName, call.CallbackReached) = (call.EndedAt.Value.AddMinutes(20), agent.Id, agent.Name, true);
            db.Set<CallRecord>().Add(call);
        }
        await db.SaveChangesAsync(ct);
    }
}
