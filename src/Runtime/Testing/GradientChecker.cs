// Hand-written.
using Caffe2Sharp.Schema.Gradients;

namespace Caffe2Sharp.Runtime.Testing;

/// <summary>The outcome of one gradient check.</summary>
/// <param name="InputName">The input whose gradient was checked.</param>
/// <param name="Analytic">The gradient computed by the registered gradient ops.</param>
/// <param name="Numeric">The central finite-difference estimate.</param>
/// <param name="MaxAbsoluteError">The largest |analytic - numeric|.</param>
/// <param name="WorstIndex">The element where the (scaled) error is largest.</param>
/// <param name="Passed">True when every element is within tolerance.</param>
public sealed record GradientCheckResult(string InputName, double[] Analytic, double[] Numeric, double MaxAbsoluteError, int WorstIndex, bool Passed)
{
    /// <inheritdoc/>
    public override string ToString() => Passed
        ? $"gradient of '{InputName}' OK (max |error| {MaxAbsoluteError:G3})"
        : $"gradient of '{InputName}' differs at element {WorstIndex}: analytic {Analytic[WorstIndex]:G9}, numeric {Numeric[WorstIndex]:G9} (max |error| {MaxAbsoluteError:G3})";
}

/// <summary>
/// Checks any registered operator's gradient against central finite differences (Caffe2's
/// <c>GradientChecker</c>), for authors of operators and their tests.
/// </summary>
/// <remarks>
/// The scalar checked is <c>L = sum(Y * G)</c> for a fixed random <c>G</c> (seeded), so that
/// <c>dL/dY = G</c> is fed as the output gradient. Caffe2's checker uses <c>L = sum(Y^2)/2</c>,
/// i.e. <c>G = Y</c>; that choice hides a wrong gradient wherever <c>Y = 0</c> (the LeakyRelu
/// alpha = 0 case), so a random projection is used instead. Inputs are re-fed before every
/// forward run, so in-place operators are checked correctly. FLOAT and DOUBLE inputs are
/// supported; differences are taken in double precision.
/// </remarks>
public sealed class GradientChecker
{
    private readonly OperatorCatalog _catalog;

    /// <summary>Creates a checker.</summary>
    /// <param name="catalog">Where the forward operator, its gradient maker and the gradient operators are registered.</param>
    /// <param name="stepSize">Finite-difference step (added to and subtracted from each element).</param>
    /// <param name="threshold">Allowed error: |analytic - numeric| &lt;= threshold * (1 + |numeric|).</param>
    /// <param name="seed">Seed for the output-gradient projection.</param>
    public GradientChecker(OperatorCatalog catalog, double stepSize = 1e-3, double threshold = 5e-3, int seed = 1234)
    {
        _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threshold);
        StepSize = stepSize;
        Threshold = threshold;
        Seed = seed;
    }

    /// <summary>Finite-difference step.</summary>
    public double StepSize { get; }
    /// <summary>Tolerance.</summary>
    public double Threshold { get; }
    /// <summary>Projection seed.</summary>
    public int Seed { get; }

    /// <summary>
    /// Checks the gradient of input <paramref name="inputIndex"/> of <paramref name="forward"/>
    /// with respect to output <paramref name="outputIndex"/>.
    /// </summary>
    /// <param name="forward">The forward operator.</param>
    /// <param name="inputs">A tensor for every input blob name of <paramref name="forward"/>.</param>
    /// <param name="inputIndex">The input whose gradient is checked (FLOAT or DOUBLE).</param>
    /// <param name="outputIndex">The output the loss is built from.</param>
    public GradientCheckResult Check(OperatorDef forward, IReadOnlyDictionary<string, Tensor> inputs, int inputIndex, int outputIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentOutOfRangeException.ThrowIfNegative(inputIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(inputIndex, forward.Input.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(outputIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(outputIndex, forward.Output.Count);
        foreach (var name in forward.Input)
            if (!inputs.ContainsKey(name)) throw new ArgumentException($"No tensor given for input '{name}' of {forward.DisplayName}.", nameof(inputs));
        string xName = forward.Input[inputIndex];
        var x0 = inputs[xName];
        if (x0.DataType is not (DataType.Float or DataType.Double))
            throw new ArgumentException($"Input '{xName}' is {x0.Describe()}; the checker handles FLOAT and DOUBLE.", nameof(inputs));

        // Forward once, to learn Y's shape and build the projection G.
        var ws = new Workspace(_catalog) { IntraOpThreads = 1 };
        Feed(ws, inputs);
        ws.RunOperatorOnce(forward);
        var y = ws.FetchBlob(forward.Output[outputIndex]);
        var rng = new Random(Seed);
        var g = new double[y.Size];
        for (int k = 0; k < g.Length; k++) g[k] = rng.NextDouble() * 2 - 1;

        // Analytic gradient through the registered gradient ops.
        var gOutput = forward.Output.Select(o => new GradientWrapper(Dense: o + "_grad")).ToArray();
        var meta = _catalog.GetGradientForOp(forward, gOutput);
        for (int o = 0; o < forward.Output.Count; o++)
        {
            var yo = ws.GetBlob(forward.Output[o])!.GetTensor();
            var grad = new Tensor(yo.DataType, yo.Dims);
            if (o == outputIndex) WriteDoubles(grad, g);
            ws.FeedBlob(gOutput[o].Dense, grad);
        }
        foreach (var op in meta.Ops) ws.RunOperatorOnce(op);
        var gx = meta.InputGradients[inputIndex];
        if (!gx.IsDense)
            throw new EnforceNotMetException($"The gradient maker of {forward.DisplayName} gives no dense gradient for input {inputIndex} ('{xName}').");
        var analytic = ReadDoubles(ws.FetchBlob(gx.Dense));
        if (analytic.Length != x0.Size)
            throw new EnforceNotMetException($"Gradient '{gx.Dense}' has {analytic.Length} elements; input '{xName}' has {x0.Size}.");

        // Numeric gradient by central differences; inputs are re-fed for every run.
        var numeric = new double[x0.Size];
        var perturbed = new Dictionary<string, Tensor>(inputs);
        var xp = x0.Clone();
        perturbed[xName] = xp;
        var xs = ReadDoubles(x0);
        for (int j = 0; j < xs.Length; j++)
        {
            SetElement(xp, j, xs[j] + StepSize);
            double plus = Loss(perturbed);
            SetElement(xp, j, xs[j] - StepSize);
            double minus = Loss(perturbed);
            SetElement(xp, j, xs[j]);
            numeric[j] = (plus - minus) / (2 * StepSize);
        }

        double maxAbs = 0, worstScaled = -1;
        int worst = 0;
        bool passed = true;
        for (int j = 0; j < numeric.Length; j++)
        {
            double err = Math.Abs(analytic[j] - numeric[j]);
            double scaled = err / (1 + Math.Abs(numeric[j]));
            maxAbs = Math.Max(maxAbs, err);
            if (scaled > worstScaled) (worstScaled, worst) = (scaled, j);
            if (!(scaled <= Threshold)) passed = false;
        }
        return new GradientCheckResult(xName, analytic, numeric, maxAbs, worst, passed);

        double Loss(IReadOnlyDictionary<string, Tensor> feed)
        {
            var w = new Workspace(_catalog) { IntraOpThreads = 1 };
            Feed(w, feed);
            w.RunOperatorOnce(forward);
            var values = ReadDoubles(w.GetBlob(forward.Output[outputIndex])!.GetTensor());
            double sum = 0;
            for (int k = 0; k < values.Length; k++) sum += values[k] * g[k];
            return sum;
        }
    }

    /// <summary>Runs <see cref="Check"/> and throws when it fails, with the worst element in the message.</summary>
    public GradientCheckResult CheckOrThrow(OperatorDef forward, IReadOnlyDictionary<string, Tensor> inputs, int inputIndex, int outputIndex = 0)
    {
        var result = Check(forward, inputs, inputIndex, outputIndex);
        if (!result.Passed) throw new EnforceNotMetException($"Gradient check of {forward.DisplayName} failed: {result}.");
        return result;
    }

    private static void Feed(Workspace ws, IReadOnlyDictionary<string, Tensor> inputs)
    {
        foreach (var (name, tensor) in inputs) ws.FeedBlob(name, tensor);
    }

    private static double[] ReadDoubles(Tensor t)
    {
        RequireFloating(t);
        return t.ToDoubleArray();
    }

    private static void WriteDoubles(Tensor t, double[] values)
    {
        RequireFloating(t);
        var writer = new Writer(t, values);
        DataTypes.Dispatch(t.DataType, ref writer);
    }

    private static void SetElement(Tensor t, int index, double value)
    {
        var values = ReadDoubles(t);
        values[index] = value;
        WriteDoubles(t, values);
    }

    private static void RequireFloating(Tensor t)
    {
        if (!DataTypes.IsFloatingPoint(t.DataType))
            throw new EnforceNotMetException($"Gradient checking needs floating-point tensors, not {t.Describe()}.");
    }

    // Copies a tensor's elements to or from doubles (exact widening; one rounding when narrowing).
    private readonly struct Writer(Tensor tensor, double[] values) : INumericTypeVisitor
    {
        public void Visit<T>() where T : unmanaged, System.Numerics.INumber<T>
        {
            var data = tensor.Data<T>();
            for (int k = 0; k < values.Length; k++) data[k] = T.CreateTruncating(values[k]);
        }
    }
}
