// Hand-written.
using System.Numerics;

namespace Caffe2Sharp.Kernels;

/// <summary>
/// Shapes and loops of binary element-wise functions whose operands broadcast: numpy's
/// multidirectional rule, and Caffe2's legacy <c>broadcast=1</c> with <c>axis</c> (reduced to the
/// numpy rule by <see cref="TryAlignLegacy"/>).
/// </summary>
public static class Broadcasting
{
    /// <summary>The most dims a broadcast shape may have (shapes live on the stack).</summary>
    public const int MaxRank = 32;

    /// <summary>
    /// The numpy broadcast of <paramref name="a"/> and <paramref name="b"/> into
    /// <paramref name="result"/> (at least <c>max(rank a, rank b)</c> long): dims aligned at the
    /// end, each pair equal or one of them 1. Returns the rank, or -1 when a pair conflicts.
    /// </summary>
    public static int TryBroadcast(ReadOnlySpan<long> a, ReadOnlySpan<long> b, Span<long> result)
    {
        int rank = Math.Max(a.Length, b.Length);
        if (result.Length < rank) throw new ArgumentException($"result has room for {result.Length} dims; {rank} are needed.", nameof(result));
        for (int i = 0; i < rank; i++)
        {
            long da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            long db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da == db || db == 1) result[i] = da;
            else if (da == 1) result[i] = db;
            else return -1;
        }
        return rank;
    }

    /// <summary>
    /// Caffe2's legacy broadcast (<c>broadcast=1</c>): <paramref name="b"/>'s dims line up with
    /// <paramref name="a"/>'s starting at <paramref name="axis"/> (-1: aligned to a's trailing dims);
    /// b's leading and trailing 1s are not checked, and a one-element b is a scalar. Writes b's dims
    /// padded to a's rank into <paramref name="alignedB"/>, ready for the numpy rule (the output then
    /// has a's shape). Returns null on success, else why it fails.
    /// </summary>
    public static string? TryAlignLegacy(ReadOnlySpan<long> a, ReadOnlySpan<long> b, int axis, Span<long> alignedB)
    {
        if (alignedB.Length < a.Length) throw new ArgumentException($"alignedB has room for {alignedB.Length} dims; {a.Length} are needed.", nameof(alignedB));
        alignedB[..a.Length].Fill(1);
        if (b.Length > a.Length) return $"B has {b.Length} dims, more than A's {a.Length}";
        if (axis == -1) axis = a.Length - b.Length;
        if (axis < 0 || axis > a.Length - b.Length)
            return $"axis {axis} is out of range for A of rank {a.Length} and B of rank {b.Length} (0 to {a.Length - b.Length}, or -1)";
        int first = 0, last = b.Length - 1;
        while (first < b.Length && b[first] == 1) first++;
        while (last >= first && b[last] == 1) last--;
        for (int i = first; i <= last; i++)
        {
            if (b[i] != a[axis + i])
                return $"B's dim {i} ({b[i]}) does not match A's dim {axis + i} ({a[axis + i]}) with axis {axis}";
            alignedB[axis + i] = b[i];
        }
        return null;
    }

    /// <summary>
    /// Computes <c>destination = op(x, y)</c> with x and y broadcast to <paramref name="outDims"/>
    /// (from <see cref="TryBroadcast"/>). Dims with the same broadcast pattern are merged; the
    /// innermost run is one call of the <see cref="ElementwiseDriver"/> (both operands contiguous,
    /// or one of them a scalar), and the outer dims are walked with an odometer.
    /// </summary>
    /// <remarks>The destination may be exactly x (when x has the output's shape) or exactly y (likewise).</remarks>
    /// <exception cref="ArgumentException">A shape does not broadcast to <paramref name="outDims"/>, or a span's length is not its shape's size.</exception>
    public static void Binary<T, TOp>(in TOp op, ReadOnlySpan<T> x, ReadOnlySpan<long> xDims, ReadOnlySpan<T> y, ReadOnlySpan<long> yDims,
        Span<T> destination, ReadOnlySpan<long> outDims, ComputePool pool, int maxDegreeOfParallelism = int.MaxValue)
        where T : unmanaged, INumber<T> where TOp : struct, IBinaryFunctor
    {
        int rank = outDims.Length;
        if (rank > MaxRank) throw new ArgumentException($"Broadcasting supports up to {MaxRank} dims; got {rank}.", nameof(outDims));
        if (xDims.Length > rank || yDims.Length > rank) throw new ArgumentException("An operand has more dims than the output.", nameof(outDims));
        CheckSize(x.Length, xDims, nameof(x));
        CheckSize(y.Length, yDims, nameof(y));
        CheckSize(destination.Length, outDims, nameof(destination));
        if (destination.Length == 0) return;

        // Merged dims: size, and whether x and y advance along it (stride 0 when broadcast).
        Span<long> size = stackalloc long[rank];
        Span<long> xStride = stackalloc long[rank];
        Span<long> yStride = stackalloc long[rank];
        Span<bool> xVaries = stackalloc bool[rank];
        Span<bool> yVaries = stackalloc bool[rank];
        int m = 0;
        for (int i = 0; i < rank; i++)
        {
            long o = outDims[i];
            long dx = i < rank - xDims.Length ? 1 : xDims[i - (rank - xDims.Length)];
            long dy = i < rank - yDims.Length ? 1 : yDims[i - (rank - yDims.Length)];
            if ((dx != o && dx != 1) || (dy != o && dy != 1) || (o != 1 && dx != o && dy != o))
                throw new ArgumentException($"Shapes [{string.Join(", ", xDims.ToArray())}] and [{string.Join(", ", yDims.ToArray())}] do not broadcast to [{string.Join(", ", outDims.ToArray())}].");
            if (o == 1) continue;
            bool vx = dx == o, vy = dy == o;
            if (m > 0 && xVaries[m - 1] == vx && yVaries[m - 1] == vy) size[m - 1] *= o;
            else
            {
                size[m] = o;
                xVaries[m] = vx;
                yVaries[m] = vy;
                m++;
            }
        }
        if (m == 0)
        {
            // One element: still through the driver, so FLOAT16 is widened and rounded once
            // exactly as at any other shape.
            ElementwiseDriver.Binary(op, x[..1], y[..1], destination[..1], pool, 1);
            return;
        }
        // Strides of the merged dims in each operand (0 where it is broadcast).
        long sx = 1, sy = 1;
        for (int k = m - 1; k >= 0; k--)
        {
            xStride[k] = xVaries[k] ? sx : 0;
            yStride[k] = yVaries[k] ? sy : 0;
            if (xVaries[k]) sx *= size[k];
            if (yVaries[k]) sy *= size[k];
        }

        int inner = (int)size[m - 1];
        bool innerX = xVaries[m - 1], innerY = yVaries[m - 1];
        Span<long> index = stackalloc long[Math.Max(1, m - 1)];
        index.Clear();
        long xo = 0, yo = 0;
        for (long d0 = 0; d0 < destination.Length; d0 += inner)
        {
            var d = destination.Slice((int)d0, inner);
            if (innerX && innerY) ElementwiseDriver.Binary(op, x.Slice((int)xo, inner), y.Slice((int)yo, inner), d, pool, maxDegreeOfParallelism);
            else if (innerX) ElementwiseDriver.BinaryScalarSecond(op, x.Slice((int)xo, inner), y[(int)yo], d, pool, maxDegreeOfParallelism);
            else ElementwiseDriver.BinaryScalarFirst(op, x[(int)xo], y.Slice((int)yo, inner), d, pool, maxDegreeOfParallelism);
            // Odometer over the outer merged dims.
            for (int k = m - 2; k >= 0; k--)
            {
                xo += xStride[k];
                yo += yStride[k];
                if (++index[k] < size[k]) break;
                xo -= xStride[k] * size[k];
                yo -= yStride[k] * size[k];
                index[k] = 0;
            }
        }
    }

    private static void CheckSize(int length, ReadOnlySpan<long> dims, string name)
    {
        long n = 1;
        foreach (var d in dims) n *= d;
        if (n != length) throw new ArgumentException($"{name} has {length} elements but its shape [{string.Join(", ", dims.ToArray())}] has {n}.", name);
    }
}
