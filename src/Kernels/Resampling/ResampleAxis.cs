// Hand-written.
namespace Caffe2Sharp.Kernels;

/// <summary>How a resize computes an output value from the input values near its source coordinate.</summary>
public enum ResampleMode
{
    /// <summary>The value of one input cell, chosen by <see cref="NearestRounding"/>.</summary>
    Nearest,

    /// <summary>Linear interpolation between the two neighbouring cells of each resized axis.</summary>
    Linear,

    /// <summary>Cubic convolution over the four neighbouring cells of each resized axis (Keys' kernel, coefficient <see cref="ResampleOptions.CubicCoeffA"/>).</summary>
    Cubic,
}

/// <summary>How an output coordinate maps to a source coordinate (ONNX Resize's <c>coordinate_transformation_mode</c>).</summary>
public enum ResampleCoordinates
{
    /// <summary><c>x_in = (x_out + 0.5) / scale - 0.5</c>.</summary>
    HalfPixel,

    /// <summary>Half-pixel, re-centred when the output size was rounded: <c>x_in = c (1 - a) + (x_out + 0.5) / scale - 0.5</c> with <c>c = in / 2</c>, <c>a = out / (in * scale)</c>.</summary>
    HalfPixelSymmetric,

    /// <summary>Half-pixel, except that an output of length 1 takes source coordinate 0 (PyTorch's rule).</summary>
    PytorchHalfPixel,

    /// <summary><c>x_in = x_out * (in - 1) / (out - 1)</c> (0 for an output of length 1): the corner cells of input and output coincide.</summary>
    AlignCorners,

    /// <summary><c>x_in = x_out / scale</c>.</summary>
    Asymmetric,

    /// <summary><c>x_in = (x_out + 0.5) / scale</c> (TensorFlow's nearest-neighbour rule; ONNX opsets 11 and 12).</summary>
    TfHalfPixelForNn,

    /// <summary>The output spans the region of interest <c>[start, end]</c> (fractions of <c>in - 1</c>); a source coordinate outside the input gives the extrapolation value.</summary>
    TfCropAndResize,
}

/// <summary>How <see cref="ResampleMode.Nearest"/> turns a fractional source coordinate into a cell (ONNX Resize's <c>nearest_mode</c>).</summary>
public enum NearestRounding
{
    /// <summary>The nearest cell; exactly half-way goes down.</summary>
    RoundPreferFloor,

    /// <summary>The nearest cell; exactly half-way goes up.</summary>
    RoundPreferCeil,

    /// <summary>The cell at or below the coordinate.</summary>
    Floor,

    /// <summary>The cell at or above the coordinate.</summary>
    Ceil,
}

/// <summary>The interpolation rules of a resize, shared by every resized axis (ONNX Resize's attributes).</summary>
public sealed record ResampleOptions
{
    /// <summary>Nearest, linear or cubic.</summary>
    public ResampleMode Mode { get; init; } = ResampleMode.Nearest;

    /// <summary>The output-to-source coordinate mapping.</summary>
    public ResampleCoordinates Coordinates { get; init; } = ResampleCoordinates.HalfPixel;

    /// <summary>The rounding of <see cref="ResampleMode.Nearest"/>.</summary>
    public NearestRounding Nearest { get; init; } = NearestRounding.RoundPreferFloor;

    /// <summary>The coefficient <c>A</c> of the cubic kernel (-0.75 as in ONNX and PyTorch; TensorFlow uses -0.5).</summary>
    public double CubicCoeffA { get; init; } = -0.75;

    /// <summary>Give cells outside the input weight 0 and renormalise the rest, instead of repeating the edge cell.</summary>
    public bool ExcludeOutside { get; init; }

    /// <summary>Linear and cubic down-sampling widen the kernel by <c>1 / scale</c> (a low-pass filter), as ONNX's <c>antialias</c>.</summary>
    public bool Antialias { get; init; }
}

/// <summary>
/// The taps of one resized axis: for every output position, the input cells it reads and their
/// weights, or a mark that it lies outside the input (<see cref="ResampleCoordinates.TfCropAndResize"/>).
/// Built once per (sizes, scale, options) and reused by every line of the tensor.
/// </summary>
/// <remarks>
/// <para>The rules are ONNX Resize's (opset 19), computed in double: the source coordinate from
/// <see cref="ResampleCoordinates"/>; nearest rounds it and clamps the cell into the input; linear and
/// cubic take the <c>n</c> cells nearest the coordinate (2 or 4; with antialias and a scale
/// <c>s &lt; 1</c>, the kernel is stretched by <c>1 / s</c> and <c>n</c> grows to cover it), weights
/// from the kernel, and read a cell outside the input as its edge cell unless
/// <see cref="ResampleOptions.ExcludeOutside"/>.</para>
/// <para>Taps with weight exactly 0 are dropped and taps that clamp onto the same cell are merged,
/// so a source coordinate that falls on a cell reads that cell alone: the output is its value bit
/// for bit, and a NaN or infinity in a neighbour with no weight does not leak into it.</para>
/// </remarks>
public sealed class ResampleAxis
{
    private readonly int[] _start;   // OutSize + 1 offsets into _index/_weight; an empty range is "outside"
    private readonly int[] _index;
    private readonly double[] _weight;

    private ResampleAxis(int inSize, int outSize, int[] start, int[] index, double[] weight, bool identity)
    {
        InSize = inSize;
        OutSize = outSize;
        _start = start;
        _index = index;
        _weight = weight;
        IsIdentity = identity;
        WeightF = [.. weight.Select(w => (float)w)];
        bool gather = true;
        int most = 0;
        for (int o = 0; o < outSize; o++)
        {
            int n = start[o + 1] - start[o];
            most = Math.Max(most, n);
            if (n > 1 || (n == 1 && weight[start[o]] != 1.0)) gather = false;
        }
        IsGather = gather;
        MaxTaps = most;
        for (int o = 0; o < outSize && !HasOutside; o++) HasOutside = start[o] == start[o + 1];
        if (gather)
        {
            Cell = new int[outSize];
            for (int o = 0; o < outSize; o++) Cell[o] = start[o] == start[o + 1] ? -1 : index[start[o]];
        }
    }

    /// <summary>Input length of the axis.</summary>
    public int InSize { get; }

    /// <summary>Output length of the axis.</summary>
    public int OutSize { get; }

    /// <summary>True when every output position reads exactly its own input cell with weight 1 (the axis is not resized).</summary>
    public bool IsIdentity { get; }

    /// <summary>True when every output position reads one cell with weight 1 or lies outside (a pure gather).</summary>
    public bool IsGather { get; }

    /// <summary>The most taps any output position reads.</summary>
    public int MaxTaps { get; }

    /// <summary>True when some output position lies outside the input (<see cref="ResampleCoordinates.TfCropAndResize"/>).</summary>
    public bool HasOutside { get; }

    /// <summary>The input cells output position <paramref name="o"/> reads (empty when it lies outside the input).</summary>
    public ReadOnlySpan<int> Indices(int o) => _index.AsSpan(_start[o], _start[o + 1] - _start[o]);

    /// <summary>The weights of <see cref="Indices"/>, in the same order.</summary>
    public ReadOnlySpan<double> Weights(int o) => _weight.AsSpan(_start[o], _start[o + 1] - _start[o]);

    /// <summary>True when output position <paramref name="o"/> lies outside the input and takes the extrapolation value.</summary>
    public bool IsOutside(int o) => _start[o + 1] == _start[o];

    // The flat tables the kernels walk: output o reads Index[Start[o]..Start[o + 1]) with weights
    // Weight (double) or WeightF (the same, rounded to float, for float data).
    internal int[] Start => _start;
    internal int[] Index => _index;
    internal double[] Weight => _weight;
    internal float[] WeightF { get; }

    // For a gather axis: the one cell each output reads, or -1 when it lies outside.
    internal int[]? Cell { get; }

    /// <summary>
    /// Builds the taps of an axis resized from <paramref name="inSize"/> to <paramref name="outSize"/>
    /// at <paramref name="scale"/> (the factor the coordinate mapping uses: the given scale, or
    /// <c>out / in</c> when sizes were given).
    /// </summary>
    /// <param name="inSize">Input length, at least 1.</param>
    /// <param name="outSize">Output length, at least 0.</param>
    /// <param name="scale">Positive, finite scale.</param>
    /// <param name="options">Mode, coordinates and kernel options.</param>
    /// <param name="roiStart">Start of the region of interest (a fraction of the input), for <see cref="ResampleCoordinates.TfCropAndResize"/>.</param>
    /// <param name="roiEnd">End of the region of interest.</param>
    /// <exception cref="ArgumentException">A size or the scale is invalid.</exception>
    public static ResampleAxis Create(int inSize, int outSize, float scale, ResampleOptions options, float roiStart = 0, float roiEnd = 1)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (inSize < 1) throw new ArgumentException($"the input length {inSize} must be at least 1.", nameof(inSize));
        ArgumentOutOfRangeException.ThrowIfNegative(outSize);
        if (!(scale > 0) || !float.IsFinite(scale)) throw new ArgumentException($"the scale {scale} must be positive and finite.", nameof(scale));
        var start = new int[outSize + 1];
        var index = new List<int>(outSize * 2);
        var weight = new List<double>(outSize * 2);
        bool identity = outSize == inSize;
        for (int o = 0; o < outSize; o++)
        {
            start[o] = index.Count;
            double x = Source(o, inSize, outSize, scale, options.Coordinates, roiStart, roiEnd);
            if (options.Coordinates == ResampleCoordinates.TfCropAndResize && (x < 0 || x > inSize - 1))
            {
                identity = false;
                continue; // outside: no taps
            }
            if (options.Mode == ResampleMode.Nearest)
            {
                int cell = Math.Clamp(Round(x, options.Nearest), 0, inSize - 1);
                index.Add(cell);
                weight.Add(1.0);
                identity &= cell == o;
                continue;
            }
            AddWindow(x, inSize, scale, options, index, weight);
            identity &= index.Count - start[o] == 1 && index[start[o]] == o && weight[start[o]] == 1.0;
        }
        start[outSize] = index.Count;
        return new ResampleAxis(inSize, outSize, start, [.. index], [.. weight], identity);
    }

    /// <summary>
    /// ONNX's source coordinate of output position <paramref name="o"/>, evaluated in single
    /// precision as ONNX Runtime evaluates it (and ONNX's reference under NumPy 2's promotion rules),
    /// so a coordinate that lands exactly half-way in float rounds as theirs does.
    /// </summary>
    internal static float Source(int o, int inSize, int outSize, float scale, ResampleCoordinates mode, float roiStart, float roiEnd)
    {
        float x = o, length = inSize, resized = outSize;
        return mode switch
        {
            ResampleCoordinates.HalfPixel => (x + 0.5f) / scale - 0.5f,
            ResampleCoordinates.HalfPixelSymmetric => SymmetricOffset(length, resized, scale) + (x + 0.5f) / scale - 0.5f,
            ResampleCoordinates.PytorchHalfPixel => outSize > 1 ? (x + 0.5f) / scale - 0.5f : 0f,
            ResampleCoordinates.AlignCorners => outSize == 1 ? 0f : x * (length - 1) / (resized - 1),
            ResampleCoordinates.Asymmetric => x / scale,
            ResampleCoordinates.TfHalfPixelForNn => (x + 0.5f) / scale,
            ResampleCoordinates.TfCropAndResize => outSize > 1
                ? roiStart * (length - 1) + x * (roiEnd - roiStart) * (length - 1) / (resized - 1)
                : 0.5f * (roiStart + roiEnd) * (length - 1),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown coordinate mapping"),
        };
    }

    private static float SymmetricOffset(float length, float resized, float scale)
    {
        float adjustment = resized / (scale * length);
        float center = length / 2;
        return center * (1 - adjustment);
    }

    private static int Round(double x, NearestRounding rounding)
    {
        double f = Math.Floor(x);
        double r = rounding switch
        {
            NearestRounding.Floor => f,
            NearestRounding.Ceil => Math.Ceiling(x),
            // Exactly half-way is decided by the mode; anything else goes to the nearer cell.
            NearestRounding.RoundPreferFloor => x - f == 0.5 ? f : Math.Round(x),
            NearestRounding.RoundPreferCeil => x - f == 0.5 ? f + 1 : Math.Round(x),
            _ => throw new ArgumentOutOfRangeException(nameof(rounding), rounding, "unknown nearest rounding"),
        };
        // Far outside any input (a huge coordinate) still clamps to an edge cell.
        return r < int.MinValue / 2 ? int.MinValue / 2 : r > int.MaxValue / 2 ? int.MaxValue / 2 : (int)r;
    }

    // The linear or cubic window of source coordinate x: n cells starting at ceil(x) - n / 2 (the n
    // cells nearest x, ties to the lower cells), with ratio = x - (ceil(x) - 1) in (0, 1] (a
    // coordinate on a cell counts as ratio 1 from the cell below, as ONNX's reference does).
    private static void AddWindow(double x, int inSize, double scale, ResampleOptions o, List<int> index, List<double> weight)
    {
        double c = Math.Ceiling(x);
        double ratio = x - (c - 1);
        double s = o.Antialias ? Math.Min(scale, 1.0) : 1.0;
        // First offset (relative to ceil(x) - 1) and tap count of the kernel's support.
        int first = o.Mode == ResampleMode.Linear ? (int)Math.Floor(-1 / s) + 1 : (int)Math.Floor(-2 / s) + 1;
        int n = 2 - 2 * first;
        Span<double> w = n <= 256 ? stackalloc double[n] : new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++)
        {
            double t = (first + k - ratio) * s;
            w[k] = o.Mode == ResampleMode.Linear ? Math.Max(0, 1 - Math.Abs(t)) : Cubic(t, o.CubicCoeffA);
            sum += w[k];
        }
        // Antialiased kernels are normalised to sum 1 (the plain ones already do, up to rounding).
        if (o.Antialias)
            for (int k = 0; k < n; k++) w[k] /= sum;
        long baseCell = (long)c - 1 + first;
        if (o.ExcludeOutside)
        {
            double inside = 0;
            for (int k = 0; k < n; k++)
            {
                long cell = baseCell + k;
                if (cell < 0 || cell >= inSize) w[k] = 0;
                inside += w[k];
            }
            if (inside != 0)
                for (int k = 0; k < n; k++) w[k] /= inside;
        }
        int begin = index.Count;
        for (int k = 0; k < n; k++)
        {
            if (w[k] == 0) continue;
            int cell = (int)Math.Clamp(baseCell + k, 0, inSize - 1);
            // Cells clamp in order, so a repeat of the edge cell is always the last tap added.
            if (index.Count > begin && index[^1] == cell) weight[^1] += w[k];
            else
            {
                index.Add(cell);
                weight.Add(w[k]);
            }
        }
        if (index.Count == begin)
        {
            // Every weight was 0 (an excluded window wholly outside): read the nearest edge cell.
            index.Add((int)Math.Clamp((long)Math.Round(x), 0, inSize - 1));
            weight.Add(1.0);
        }
    }

    // Keys' cubic convolution kernel with coefficient a.
    private static double Cubic(double t, double a)
    {
        t = Math.Abs(t);
        if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
        if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
        return 0;
    }
}
