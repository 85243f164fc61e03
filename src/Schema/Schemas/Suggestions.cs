// Hand-written.
namespace Caffe2Sharp.Schema;

/// <summary>
/// Finds names close to a misspelt one: operator types, blob names, argument names. Lives in the
/// Schema layer so that schema verification can suggest argument names; the runtime uses it for
/// operator types and blobs.
/// </summary>
public static class Suggestions
{
    /// <summary>Up to <paramref name="max"/> candidates within a small edit distance of <paramref name="name"/> (case-insensitive), closest first.</summary>
    public static IReadOnlyList<string> Closest(string name, IEnumerable<string> candidates, int max = 5)
    {
        int limit = Math.Max(2, name.Length / 3);
        return candidates
            .Select(c => (c, d: Distance(name.ToLowerInvariant(), c.ToLowerInvariant())))
            .Where(x => x.d <= limit || x.c.Contains(name, StringComparison.OrdinalIgnoreCase) || name.Contains(x.c, StringComparison.OrdinalIgnoreCase))
            .OrderBy(x => x.d).ThenBy(x => x.c, StringComparer.Ordinal)
            .Take(max).Select(x => x.c).ToList();
    }

    private static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
