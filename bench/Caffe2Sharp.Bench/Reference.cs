// Hand-written.
namespace Caffe2Sharp.Bench;

/// <summary>
/// Scalar LeakyRelu loops: the naive benchmarks time them, and every setup checks the code under
/// test against them once, so a benchmark that measures a broken path fails instead of reporting.
/// </summary>
internal static class Reference
{
    public const float Alpha = 0.01f;

    /// <summary>The loop a person would write first: one element at a time, a branch per element.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, float alpha)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] >= 0 ? x[i] : alpha * x[i];
    }

    /// <summary>The naive gradient: <c>dx = s &gt;= 0 ? dy : alpha * dy</c>.</summary>
    public static void Gradient(ReadOnlySpan<float> s, ReadOnlySpan<float> dy, Span<float> dx, float alpha)
    {
        for (int i = 0; i < s.Length; i++) dx[i] = s[i] >= 0 ? dy[i] : alpha * dy[i];
    }

    /// <summary>Throws unless <paramref name="actual"/> equals <paramref name="expected"/> bit for bit.</summary>
    public static void RequireEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        if (expected.Length != actual.Length)
            throw new InvalidOperationException($"{what}: {actual.Length} values, expected {expected.Length}.");
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                throw new InvalidOperationException($"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R}.");
        }
    }
}
