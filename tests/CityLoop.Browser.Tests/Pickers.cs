using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

/// <summary>How a person uses a code picker: type a few characters of a code, name or keyword, then take an option.</summary>
public static class Pickers
{
    static readonly HashSet<string> CodeKinds = ["department", "departments", "category", "standard-item", "case-number", "user", "team", "platform"];

    static ILocator Picker(IPage page, string scope, string field) => page.Locator($"{scope} [data-picker][data-name='{field}']");

    /// <summary>Searches, waits for the option with <paramref name="code"/> and takes it, by keyboard when asked.</summary>
    public static async Task ChooseAsync(IPage page, string scope, string field, string search, string code, bool keyboard = false)
    {
        var picker = Picker(page, scope, field);
        var box = picker.Locator(".picker-search");
        await box.ClickAsync();
        await box.FillAsync(search);
        var option = picker.Locator($"[role=option][data-code='{code}']");
        await Expect(option).ToBeVisibleAsync();
        if (keyboard)
        {
            // Walk down with the arrow keys to the option, then Enter.
            for (var i = 0; i < 50 && await option.GetAttributeAsync("aria-selected") != "true"; i++) await box.PressAsync("ArrowDown");
            await box.PressAsync("Enter");
        }
        else await option.ClickAsync();
        await Expect(picker.Locator($".chip[data-code='{code}'] input[type=hidden][name='{field}']")).ToHaveCountAsync(1);
    }

    public static async Task<string[]> ChosenAsync(IPage page, string scope, string field) =>
        (await Picker(page, scope, field).Locator("input[type=hidden]").EvaluateAllAsync<string[]>("els => els.map(e => e.value)"));

    /// <summary>
    /// Every code-kind field of every action the page offers (as GET /actions lists them) is a picker, and no text box,
    /// select or text area carries its name.
    /// </summary>
    public static async Task AssertNoCodeIsTypedAsync(IPage page, Guid caseId)
    {
        var response = await page.APIRequest.GetAsync($"/api/v1/cases/{caseId}/actions");
        Assert.True(response.Ok, await response.TextAsync());
        var actions = JsonDocument.Parse(await response.TextAsync()).RootElement;
        foreach (var action in actions.EnumerateArray())
        {
            var scope = "#act-" + action.GetProperty("action").GetString();
            foreach (var field in action.GetProperty("fields").EnumerateArray())
            {
                if (!CodeKinds.Contains(field.GetProperty("kind").GetString()!)) continue;
                var name = field.GetProperty("name").GetString()!;
                await Expect(page.Locator($"{scope} input:not([type=hidden])[name='{name}'], {scope} select[name='{name}'], {scope} textarea[name='{name}']"))
                    .ToHaveCountAsync(0);
                await Expect(Picker(page, scope, name)).ToHaveCountAsync(1);
            }
        }
        // Nothing on the page scrolls sideways at the desk's size.
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways");
    }
}
