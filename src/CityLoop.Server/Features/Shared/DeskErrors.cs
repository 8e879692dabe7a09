using CityLoop.Domain.Cases;
using CityLoop.Server.Infrastructure;
using static CityLoop.Server.Features.Shared.Ui;

namespace CityLoop.Server.Features.Shared;

/// <summary>A refusal the person at the desk can read: a headline in their language and the details behind it.</summary>
public sealed record DeskError(string Title, IReadOnlyList<string> Details, bool Conflict = false);

/// <summary>
/// Turns the domain's refusals into messages on the page (the API turns the same exceptions into problem details).
/// Anything else is a fault and goes on to the exception handler.
/// </summary>
public static class DeskErrors
{
    public static DeskError? Describe(Exception ex) => ex switch
    {
        ConcurrencyConflictException => new(Pick("案件已被他人处理，页面已显示最新状态，请确认后重新操作。",
            "Someone else has changed this case; the page now shows its current state. Please check and decide again."), [], Conflict: true),
        CaseValidationException v => new(Pick("请检查填写的内容：", "Please check what you entered:"),
            v.Errors.Select(e => $"{Labels.Field(e.Key)}：{string.Join(" ", e.Value)}").ToList()),
        CaseRuleException r => new(Pick("案件当前状态不允许此操作。", "The case does not allow this now."), [r.Message]),
        CaseForbiddenException f => new(Pick("您无权执行此操作。", "You are not allowed to do this."), [f.Message]),
        NotFoundException => new(Pick("案件不存在，或您无权查看。", "The case does not exist or is not visible to you."), []),
        ConflictException c => new(Pick("操作与已有数据冲突。", "This conflicts with something already stored."), [c.Message]),
        _ => null,
    };
}
