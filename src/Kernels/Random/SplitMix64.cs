// Hand-written.
namespace Caffe2Sharp.Kernels;

/// <summary>
/// The one random generator of Caffe2Sharp: a counter-based splitmix64 stream (Steele, Lea and
/// Flood 2014), shared by Dropout and the random fills. Fixed 64-bit integer arithmetic, so the
/// same stream gives the same bits on every machine and at every thread count.
/// </summary>
/// <remarks>
/// Element k (0-based) of stream s is <c>Mix(Mix(s) + (k + 1) * Gamma)</c>: Vigna's
/// <c>splitmix64.c</c> seeded with <c>Mix(s)</c>. A double in [0, 1) is the top 53 bits times 2^-53.
/// </remarks>
public static class SplitMix64
{
    /// <summary>The golden-ratio increment of splitmix64, <c>0x9E3779B97F4A7C15</c>.</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>splitmix64's output function: a 64-bit mix of <paramref name="z"/>.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The 64 random bits of element <paramref name="k"/> of <paramref name="stream"/>.</summary>
    public static ulong Bits(ulong stream, long k) => unchecked(Mix(Mix(stream) + ((ulong)k + 1) * Gamma));

    /// <summary>The top 53 bits of <paramref name="bits"/> as a double in [0, 1).</summary>
    public static double ToUnitDouble(ulong bits) => (bits >> 11) * (1.0 / (1UL << 53));

    /// <summary>Element <paramref name="k"/> of <paramref name="stream"/> as a uniform double in [0, 1).</summary>
    public static double Uniform(ulong stream, long k) => ToUnitDouble(Bits(stream, k));

    /// <summary>
    /// Fills <paramref name="destination"/> with <c>min + (max - min) * u_k</c>, u_k element k of
    /// <paramref name="stream"/>, computed in double and rounded once to float. Values lie in
    /// [min, max): one that rounds up to max becomes the float just below it (all min when min = max).
    /// </summary>
    /// <param name="destination">The values to write.</param>
    /// <param name="stream">The stream (from the seed).</param>
    /// <param name="min">Lower bound, included.</param>
    /// <param name="max">Upper bound, excluded (unless equal to <paramref name="min"/>).</param>
    public static void FillUniform(Span<float> destination, ulong stream, double min, double max)
    {
        ulong state = Mix(stream);
        double width = max - min;
        float fmax = (float)max;
        float below = min < max ? MathF.BitDecrement(fmax) : fmax;
        for (int k = 0; k < destination.Length; k++)
        {
            state = unchecked(state + Gamma);
            float v = (float)(min + width * ToUnitDouble(Mix(state)));
            // Rounding to float can land on max itself; keep the interval half-open.
            destination[k] = v >= fmax && min < max ? below : v;
        }
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with normal values of <paramref name="mean"/> and
    /// <paramref name="std"/> by Box-Muller: elements 2i and 2i + 1 of the stream give u1, u2 in
    /// [0, 1); <c>r = sqrt(-2 ln(1 - u1))</c>, <c>t = 2 pi u2</c>; output 2i is <c>mean + std r cos t</c>
    /// and output 2i + 1 is <c>mean + std r sin t</c> (an odd last element uses the cosine only).
    /// </summary>
    /// <remarks>
    /// Computed in double and rounded once to float. The integer stream is exact everywhere; the
    /// double <c>log</c>, <c>cos</c> and <c>sin</c> are the platform's, which agree to within an ulp of
    /// double, far below float's rounding, so the floats agree except at an exceedingly rare tie.
    /// </remarks>
    /// <param name="destination">The values to write.</param>
    /// <param name="stream">The stream (from the seed).</param>
    /// <param name="mean">The mean.</param>
    /// <param name="std">The standard deviation, 0 or more.</param>
    public static void FillGaussian(Span<float> destination, ulong stream, double mean, double std)
    {
        ulong state = Mix(stream);
        for (int k = 0; k < destination.Length; k += 2)
        {
            state = unchecked(state + Gamma);
            double u1 = ToUnitDouble(Mix(state));
            state = unchecked(state + Gamma);
            double u2 = ToUnitDouble(Mix(state));
            double r = Math.Sqrt(-2.0 * Math.Log(1.0 - u1));
            double t = 2.0 * Math.PI * u2;
            destination[k] = (float)(mean + std * r * Math.Cos(t));
            if (k + 1 < destination.Length) destination[k + 1] = (float)(mean + std * r * Math.Sin(t));
        }
    }
}
