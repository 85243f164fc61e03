// Hand-written.
using System.Numerics;

namespace Caffe2Sharp.Kernels;

/// <summary>
/// Row-wise softmax and its gradient over a row-major <c>[rows, cols]</c> matrix, rows split
/// across a <see cref="ComputePool"/> when the work is large.
/// </summary>
/// <remarks>
/// <para>Forward, per row: <c>m = max(x)</c>, <c>e_j = exp(x_j - m)</c>, <c>y_j = e_j / sum(e)</c>.
/// Subtracting the row maximum keeps every exponent at most 0, so large inputs cannot overflow
/// (the largest element's term is exactly 1, so the sum is at least 1). <c>exp</c> and the sum are
/// evaluated in double; a NaN anywhere in a row makes the whole row NaN.</para>
/// <para>Gradient, per row: <c>dx_j = y_j * (dy_j - sum_k(dy_k * y_k))</c>, the sum in double.</para>
/// <para>A row is always computed by one thread, in order, so results are bit-identical at every
/// thread count. The loops are scalar: the cost is dominated by <c>exp</c>.</para>
/// </remarks>
public static class SoftmaxKernel
{
    // Rough cost of one element in units of a simple element-wise operation (exp in double).
    private const int CostPerElement = 32;

    /// <summary>Computes the softmax of each row of <paramref name="x"/> into <paramref name="y"/>.</summary>
    /// <param name="x">The input, <paramref name="rows"/> * <paramref name="cols"/> elements.</param>
    /// <param name="y">The output, same length; may be exactly <paramref name="x"/> (in place).</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Row length.</param>
    /// <param name="pool">Threads and thresholds.</param>
    /// <param name="maxDegreeOfParallelism">Most threads to use, the caller included (capped by the pool).</param>
    /// <exception cref="ArgumentException">A length does not match, or the spans overlap other than exactly.</exception>
    public static unsafe void Forward<T>(ReadOnlySpan<T> x, Span<T> y, int rows, int cols, ComputePool pool, int maxDegreeOfParallelism = int.MaxValue)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(pool);
        CheckShape(x.Length, rows, cols, nameof(x));
        CheckShape(y.Length, rows, cols, nameof(y));
        CheckOverlap(x, y, nameof(x));
        int chunks = ChunkCount(pool, rows, cols, maxDegreeOfParallelism);
        if (chunks == 1)
        {
            for (int r = 0; r < rows; r++) ForwardRow(x.Slice(r * cols, cols), y.Slice(r * cols, cols));
            return;
        }
        fixed (T* px = x)
        fixed (T* py = y)
        {
            var work = Work<T>.Rent();
            work.Set(px, null, py, cols, gradient: false);
            work.Run(pool, rows, chunks, 1, maxDegreeOfParallelism);
        }
    }

    /// <summary>Computes <c>dx = y * (dy - sum(dy * y))</c> per row.</summary>
    /// <param name="y">The forward output.</param>
    /// <param name="dy">The gradient of the output.</param>
    /// <param name="dx">The gradient of the input; may be exactly <paramref name="dy"/> or <paramref name="y"/>.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Row length.</param>
    /// <param name="pool">Threads and thresholds.</param>
    /// <param name="maxDegreeOfParallelism">Most threads to use, the caller included (capped by the pool).</param>
    /// <exception cref="ArgumentException">A length does not match, or the spans overlap other than exactly.</exception>
    public static unsafe void Backward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rows, int cols, ComputePool pool, int maxDegreeOfParallelism = int.MaxValue)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(pool);
        CheckShape(y.Length, rows, cols, nameof(y));
        CheckShape(dy.Length, rows, cols, nameof(dy));
        CheckShape(dx.Length, rows, cols, nameof(dx));
        CheckOverlap(y, dx, nameof(y));
        CheckOverlap(dy, dx, nameof(dy));
        int chunks = ChunkCount(pool, rows, cols, maxDegreeOfParallelism);
        if (chunks == 1)
        {
            for (int r = 0; r < rows; r++) BackwardRow(y.Slice(r * cols, cols), dy.Slice(r * cols, cols), dx.Slice(r * cols, cols));
            return;
        }
        fixed (T* py = y)
        fixed (T* pdy = dy)
        fixed (T* pdx = dx)
        {
            var work = Work<T>.Rent();
            work.Set(py, pdy, pdx, cols, gradient: true);
            work.Run(pool, rows, chunks, 1, maxDegreeOfParallelism);
        }
    }

    private static void ForwardRow<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.IsEmpty) return;
        // The maximum by compare-and-select; a NaN never wins, but it propagates through exp below.
        double max = double.CreateTruncating(x[0]);
        for (int j = 1; j < x.Length; j++)
        {
            double v = double.CreateTruncating(x[j]);
            if (v > max) max = v;
        }
        double sum = 0;
        // Reads x[j] before writing y[j]: exact in place is safe.
        for (int j = 0; j < x.Length; j++)
        {
            double e = Math.Exp(double.CreateTruncating(x[j]) - max);
            sum += e;
            y[j] = T.CreateTruncating(e);
        }
        double scale = 1.0 / sum;
        for (int j = 0; j < y.Length; j++) y[j] = T.CreateTruncating(double.CreateTruncating(y[j]) * scale);
    }

    private static void BackwardRow<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double dot = 0;
        for (int j = 0; j < y.Length; j++) dot += double.CreateTruncating(dy[j]) * double.CreateTruncating(y[j]);
        for (int j = 0; j < y.Length; j++)
            dx[j] = T.CreateTruncating(double.CreateTruncating(y[j]) * (double.CreateTruncating(dy[j]) - dot));
    }

    private static int ChunkCount(ComputePool pool, int rows, int cols, int maxDegreeOfParallelism)
    {
        int degree = Math.Min(Math.Min(maxDegreeOfParallelism, pool.MaxDegreeOfParallelism), rows);
        long work = (long)rows * cols * CostPerElement;
        if (degree <= 1 || work < pool.Options.ParallelWorkThreshold) return 1;
        // Up to four chunks per thread, so a fast thread can take over from a late one.
        return Math.Min(rows, degree * 4);
    }

    private static void CheckShape(int length, int rows, int cols, string name)
    {
        if (rows < 0 || cols < 0 || (long)rows * cols != length)
            throw new ArgumentException($"{name} has {length} elements; a [{rows}, {cols}] matrix needs {(long)rows * cols}.", name);
    }

    private static void CheckOverlap<T>(ReadOnlySpan<T> input, Span<T> destination, string name)
    {
        if (input.Overlaps(destination, out int offset) && offset != 0)
            throw new ArgumentException(
                $"the destination overlaps {name} shifted by {offset} element(s); only exact in-place use (same start) is allowed.", name);
    }

    // The cached work item of a threaded run: rows [start, end).
    private sealed unsafe class Work<T> : ParallelRegion where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic] private static Work<T>? t_cached;
        private T* _a, _b, _d;
        private int _cols;
        private bool _gradient;

        public static Work<T> Rent() => t_cached ??= new();

        public void Set(T* a, T* b, T* d, int cols, bool gradient)
        {
            _a = a;
            _b = b;
            _d = d;
            _cols = cols;
            _gradient = gradient;
        }

        protected override void RunRange(long start, long end)
        {
            for (long r = start; r < end; r++)
            {
                long o = r * _cols;
                if (_gradient) BackwardRow(new ReadOnlySpan<T>(_a + o, _cols), new ReadOnlySpan<T>(_b + o, _cols), new Span<T>(_d + o, _cols));
                else ForwardRow(new ReadOnlySpan<T>(_a + o, _cols), new Span<T>(_d + o, _cols));
            }
        }
    }
}
