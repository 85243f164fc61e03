// Hand-written.
using System.Numerics;

namespace Caffe2Sharp.Kernels;

/// <summary>
/// Batch normalisation in inference (Caffe2's <c>SpatialBN</c> with <c>is_test</c>): per channel an
/// affine map <c>y = x * a + b</c>, <c>a = scale / sqrt(var + epsilon)</c>, <c>b = bias - mean * a</c>.
/// </summary>
/// <remarks>
/// <para>a and b are computed once per channel in double and rounded to float; the element loop is
/// then a float multiply and a float add (never fused), vectorised with <see cref="Vector{T}"/>,
/// so every SIMD width gives the same bits as the scalar tail.</para>
/// </remarks>
public static class BatchNormKernel
{
    /// <summary>Computes the per-channel factors <c>a = scale / sqrt(var + epsilon)</c> and <c>b = bias - mean * a</c>.</summary>
    /// <param name="scale">Per-channel scale (gamma).</param>
    /// <param name="bias">Per-channel bias (beta).</param>
    /// <param name="mean">Per-channel running mean.</param>
    /// <param name="variance">Per-channel running variance.</param>
    /// <param name="epsilon">Added to the variance.</param>
    /// <param name="a">Receives the multipliers.</param>
    /// <param name="b">Receives the offsets.</param>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static void Affine(ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance,
        double epsilon, Span<float> a, Span<float> b)
    {
        int c = scale.Length;
        if (bias.Length != c || mean.Length != c || variance.Length != c || a.Length != c || b.Length != c)
            throw new ArgumentException("scale, bias, mean, variance, a and b must have the same length.", nameof(scale));
        for (int k = 0; k < c; k++)
        {
            double ak = scale[k] / Math.Sqrt(variance[k] + epsilon);
            a[k] = (float)ak;
            b[k] = (float)(bias[k] - mean[k] * ak);
        }
    }

    /// <summary>
    /// Applies <c>y = x * a[c] + b[c]</c> over NCHW data: <paramref name="batch"/> images of
    /// <c>a.Length</c> channels of <paramref name="inner"/> elements each.
    /// </summary>
    /// <param name="x">The input.</param>
    /// <param name="y">The output; may be exactly <paramref name="x"/> (in place).</param>
    /// <param name="batch">N.</param>
    /// <param name="inner">Elements per channel plane (H * W, or the product of the dims after C).</param>
    /// <param name="a">Per-channel multipliers.</param>
    /// <param name="b">Per-channel offsets.</param>
    /// <exception cref="ArgumentException">A length does not match.</exception>
    public static void ApplyNchw(ReadOnlySpan<float> x, Span<float> y, int batch, int inner, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int channels = a.Length;
        Check(x, y, (long)batch * channels * inner, b.Length == channels);
        int o = 0;
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++, o += inner)
                Plane(x.Slice(o, inner), y.Slice(o, inner), a[c], b[c]);
    }

    /// <summary>Applies <c>y = x * a[c] + b[c]</c> over NHWC data: <paramref name="pixels"/> rows of <c>a.Length</c> channels.</summary>
    /// <param name="x">The input.</param>
    /// <param name="y">The output; may be exactly <paramref name="x"/> (in place).</param>
    /// <param name="pixels">N times the spatial size.</param>
    /// <param name="a">Per-channel multipliers.</param>
    /// <param name="b">Per-channel offsets.</param>
    /// <exception cref="ArgumentException">A length does not match.</exception>
    public static void ApplyNhwc(ReadOnlySpan<float> x, Span<float> y, int pixels, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int channels = a.Length;
        Check(x, y, (long)pixels * channels, b.Length == channels);
        for (int p = 0, o = 0; p < pixels; p++, o += channels)
        {
            var xs = x.Slice(o, channels);
            var ys = y.Slice(o, channels);
            int k = 0;
            for (; k <= channels - Vector<float>.Count; k += Vector<float>.Count)
                (new Vector<float>(xs.Slice(k)) * new Vector<float>(a.Slice(k)) + new Vector<float>(b.Slice(k))).CopyTo(ys.Slice(k));
            for (; k < channels; k++) ys[k] = xs[k] * a[k] + b[k];
        }
    }

    private static void Plane(ReadOnlySpan<float> x, Span<float> y, float a, float b)
    {
        var va = new Vector<float>(a);
        var vb = new Vector<float>(b);
        int k = 0;
        for (; k <= x.Length - Vector<float>.Count; k += Vector<float>.Count)
            (new Vector<float>(x.Slice(k)) * va + vb).CopyTo(y.Slice(k));
        for (; k < x.Length; k++) y[k] = x[k] * a + b;
    }

    private static void Check(ReadOnlySpan<float> x, Span<float> y, long size, bool channelsMatch)
    {
        if (!channelsMatch) throw new ArgumentException("a and b must have the same length.", nameof(x));
        if (x.Length != size || y.Length != size)
            throw new ArgumentException($"x has {x.Length} and y {y.Length} elements; the shape needs {size}.", nameof(x));
        if (x.Overlaps(y, out int offset) && offset != 0)
            throw new ArgumentException($"y overlaps x shifted by {offset} element(s); only exact in-place use is allowed.", nameof(y));
    }
}
