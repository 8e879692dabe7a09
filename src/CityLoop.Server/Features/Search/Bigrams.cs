using System.Globalization;
using System.Text;

namespace CityLoop.Server.Features.Search;

/// <summary>One search term of a query: a whole token, or a prefix of one (a lone character, a Latin word or a number).</summary>
public sealed record SearchTerm(string Text, bool Prefix);

/// <summary>
/// Cuts text into search terms the same way for every database (decision 013). Text is normalised (NFKC, lower case)
/// and split into runs of letters and digits. A run of a script written with spaces (Latin, digits, Cyrillic …) is one
/// term. A run of a script written without spaces (Chinese, Japanese, Korean) gives every overlapping pair of
/// characters — 井盖松动 → 井盖 盖松 松动 — plus its last character alone (动), so that every character of the text
/// begins some term. A query is cut the same way and all its terms must be present: a run of two or more CJK characters
/// needs its pairs (no false negatives: any text containing the run contains its pairs), a single CJK character, a
/// Latin word or a number matches as a prefix (盖 finds 盖子 and, through the run-final term, 井盖; led finds LEDs).
/// </summary>
public static class Bigrams
{
    /// <summary>Longer tokens (a pasted URL) are cut: index entries have a size limit.</summary>
    const int MaxTermLength = 40;

    /// <summary>The distinct terms of the texts, space-separated, as stored in a <c>search_terms</c> column.</summary>
    public static string Terms(params string?[] texts)
    {
        var terms = new HashSet<string>(StringComparer.Ordinal);
        var ordered = new List<string>();
        foreach (var text in texts)
            foreach (var (run, cjk) in Runs(text))
                foreach (var term in DocumentTerms(run, cjk))
                    if (terms.Add(term)) ordered.Add(term);
        return string.Join(' ', ordered);
    }

    /// <summary>The terms a query needs, all of them; empty when the query has no letters or digits.</summary>
    public static IReadOnlyList<SearchTerm> Query(string? query)
    {
        var terms = new List<SearchTerm>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (run, cjk) in Runs(query))
        {
            if (cjk && run.Count >= 2)
            {
                for (var i = 0; i + 1 < run.Count; i++)
                {
                    var pair = run[i] + run[i + 1];
                    if (seen.Add(pair)) terms.Add(new SearchTerm(pair, false));
                }
            }
            else
            {
                var term = Cut(string.Concat(run));
                if (seen.Add(term)) terms.Add(new SearchTerm(term, true));
            }
        }
        return terms;
    }

    static IEnumerable<string> DocumentTerms(List<string> run, bool cjk)
    {
        if (!cjk)
        {
            yield return Cut(string.Concat(run));
            yield break;
        }
        for (var i = 0; i + 1 < run.Count; i++) yield return run[i] + run[i + 1];
        yield return run[^1];
    }

    static string Cut(string term) => term.Length <= MaxTermLength ? term : term[..MaxTermLength];

    /// <summary>Runs of letters and digits as lists of characters (a character may be two UTF-16 units), flagged CJK or not.</summary>
    static IEnumerable<(List<string> Run, bool Cjk)> Runs(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) yield break;
        var normal = text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        var run = new List<string>();
        var runCjk = false;
        foreach (var rune in normal.EnumerateRunes())
        {
            var word = Rune.IsLetterOrDigit(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;
            var cjk = word && IsUnspaced(rune);
            if (run.Count > 0 && (!word || cjk != runCjk))
            {
                yield return (run, runCjk);
                run = [];
            }
            if (!word) continue;
            runCjk = cjk;
            run.Add(rune.ToString());
        }
        if (run.Count > 0) yield return (run, runCjk);
    }

    /// <summary>Scripts written without spaces between words: CJK ideographs, kana, Hangul, and their extensions.</summary>
    static bool IsUnspaced(Rune r) => r.Value is >= 0x2E80 and <= 0x9FFF or >= 0xA960 and <= 0xA97F or >= 0xAC00 and <= 0xD7FF
        or >= 0xF900 and <= 0xFAFF or >= 0xFF66 and <= 0xFF9F or >= 0x20000 and <= 0x3FFFF;
}
