using CityLoop.Domain.Cases;
using CityLoop.Server.Features.Pickers;

namespace CityLoop.Server.Tests;

/// <summary>The check and the pickers read fields by the table's names: every field of the table must name an input.</summary>
public class ActionFieldTests
{
    [Fact]
    public void EveryFieldOfTheTransitionTable_IsAPropertyOfTheActionInput()
    {
        Assert.All(TransitionTable.All.SelectMany(t => t.Fields), f => Assert.True(ActionFieldValues.Exists(f.Name), $"no ActionInput property for '{f.Name}'"));
    }

    [Fact]
    public void FieldValues_AreReadAndRewrittenByName()
    {
        var input = new ActionInput { LeadDepartment = "SZGLC", AssistingDepartments = ["HWC", "GSGS"], Opinion = "派" };
        Assert.Equal(["SZGLC"], ActionFieldValues.Get(input, "leadDepartment"));
        Assert.Equal(["HWC", "GSGS"], ActionFieldValues.Get(input, "assistingDepartments"));
        Assert.Empty(ActionFieldValues.Get(input, "inspector"));
        var rewritten = ActionFieldValues.With(ActionFieldValues.With(input, "inspector", ["0b5c"]), "assistingDepartments", ["HWC"]);
        Assert.Equal("0b5c", rewritten.Inspector);
        Assert.Equal(["HWC"], rewritten.AssistingDepartments);
        Assert.Equal("派", rewritten.Opinion);
        Assert.Null(input.Inspector);
    }
}
