// Hand-written.
namespace Caffe2Sharp.Kernels;

/// <summary>
/// Local response normalisation across channels (Caffe2's <c>LRN</c>, <c>local_response_normalization_op.cc</c>).
/// </summary>
/// <remarks>
/// <para>The data is viewed as <c>[outer, channels, inner]</c> (NCHW: <c>[N, C, H * W]</c>; NHWC:
/// <c>[N * H * W, C, 1]</c>). For channel c the window is <c>c - (size - 1) / 2</c> to
/// <c>c - (size - 1) / 2 + size - 1</c>, clipped to the channels;
/// <c>scale = bias + (alpha / size) * sum of x^2</c> over the window and <c>y = x * scale^-beta</c>.</para>
/// <para>Each element's window sum is taken afresh in double (no running sum, so no drift), and
/// <c>y</c> is computed in double and rounded once.</para>
/// </remarks>
public static class LrnKernel
{
    /// <summary>Computes LRN of <paramref name="x"/> into <paramref name="y"/> and, when not empty, <paramref name="scale"/>.</summary>
    /// <param name="x">The input, <paramref name="outer"/> * <paramref name="channels"/> * <paramref name="inner"/> elements.</param>
    /// <param name="y">The output, same length; must not overlap <paramref name="x"/>.</param>
    /// <param name="scale">Receives the scale (same length), or empty.</param>
    /// <param name="outer">Product of the dims before the channel dim.</param>
    /// <param name="channels">The channel count.</param>
    /// <param name="inner">Product of the dims after the channel dim.</param>
    /// <param name="size">Window size, 1 or more.</param>
    /// <param name="alpha">Scaling of the sum (divided by size).</param>
    /// <param name="beta">The exponent.</param>
    /// <param name="bias">Added to the scaled sum.</param>
    /// <exception cref="ArgumentException">A length does not match, or the output overlaps the input.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is less than 1.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<float> scale, int outer, int channels, int inner,
        int size, double alpha, double beta, double bias)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        long n = (long)outer * channels * inner;
        if (x.Length != n || y.Length != n || (!scale.IsEmpty && scale.Length != n))
            throw new ArgumentException($"x, y (and scale) must have {n} elements; x has {x.Length}, y {y.Length}, scale {scale.Length}.", nameof(x));
        if (x.Overlaps(y) || (!scale.IsEmpty && (x.Overlaps(scale) || y.Overlaps(scale))))
            throw new ArgumentException("the outputs must not overlap the input or each other.", nameof(y));
        int prePad = (size - 1) / 2;
        double alphaOverSize = alpha / size;
        for (int o = 0; o < outer; o++)
        {
            int plane = o * channels * inner;
            for (int c = 0; c < channels; c++)
            {
                int lo = Math.Max(0, c - prePad), hi = Math.Min(channels - 1, c - prePad + size - 1);
                for (int p = 0; p < inner; p++)
                {
                    double sum = 0;
                    for (int w = lo; w <= hi; w++)
                    {
                        double v = x[plane + w * inner + p];
                        sum += v * v;
                    }
                    double s = bias + alphaOverSize * sum;
                    int k = plane + c * inner + p;
                    y[k] = (float)(x[k] * Math.Pow(s, -beta));
                    if (!scale.IsEmpty) scale[k] = (float)s;
                }
            }
        }
    }
}
