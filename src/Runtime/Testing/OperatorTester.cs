// Hand-written.
using System.Globalization;
using System.Numerics;
using Caffe2Sharp.Kernels;

namespace Caffe2Sharp.Runtime.Testing;

/// <summary>A check of <see cref="OperatorTester"/> failed; the message names the op, the run mode, the output and the element.</summary>
public sealed class OperatorTestException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OperatorTestException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// Tests one operator through the real catalog, in the manner of ONNX Runtime's <c>OpTester</c>:
/// give it arguments, inputs and the expected outputs (tensors, or reference functions of the
/// inputs), then <see cref="Run"/>. For authors of operators and their tests.
/// </summary>
/// <remarks>
/// <para><see cref="Run"/> verifies the def with the schema, then runs the op out of place (through
/// <see cref="Workspace.CreateNet"/> and <see cref="Workspace.RunNet"/>, twice, so an op that keeps
/// state between runs shows; a def whose output is named after an input is run once, in place, as
/// given) and in place for every (input, output) pair the schema allows
/// (<see cref="OpSchema.InplaceAllowed"/>: the output blob gets the input's name; through
/// <see cref="Workspace.RunOperatorOnce"/>). Every mode runs serially and at each of
/// <see cref="ThreadCounts"/> on a compute pool whose parallel threshold is tiny, so small inputs
/// are split; results must be bit-identical across thread counts.</para>
/// <para>In place, an input whose shape or type differs from the expected output's cannot hold
/// the result: the op may then fail (any error) or give the right result, nothing else.</para>
/// <para>Outputs are compared exactly by default: bit for bit, so -0 and +0 differ, except that
/// any NaN equals any NaN. <see cref="Tolerance"/> relaxes floating-point outputs to
/// <c>|actual - expected| &lt;= atol + rtol * |expected|</c> (infinities and NaN still exact).
/// When the schema has a shape inference function, its inferred shapes and types must agree with
/// the actual outputs of every mode.</para>
/// </remarks>
public sealed class OperatorTester
{
    /// <summary>The xunit trait name under which operator tests are tagged (<c>[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]</c>).</summary>
    public const string Trait = "Category";

    /// <summary>The trait value of operator tests; CI reruns <c>Category=Operator</c> tests under narrower SIMD tiers.</summary>
    public const string TraitValue = "Operator";

    private static readonly Lazy<ComputePool> SharedPool = new(() => new ComputePool(new ComputePoolOptions { ThreadCount = 3, ParallelWorkThreshold = 64 }));

    private readonly OperatorCatalog _catalog;
    private readonly OperatorDef _def;
    private readonly List<Tensor> _inputs = [];
    private readonly List<Func<IReadOnlyList<Tensor>, Tensor>?> _expected = [];
    private readonly List<(int Input, int Output, double Step, double Threshold)> _gradientChecks = [];
    private string? _expectedError;
    private double _rtol, _atol;
    private bool _exact = true;

    /// <summary>Starts a test of operator <paramref name="type"/> registered in <paramref name="catalog"/>.</summary>
    /// <param name="catalog">Where the operator's schema and kernel (and gradient, for <see cref="GradientCheck"/>) are registered.</param>
    /// <param name="type">The operator type.</param>
    /// <param name="name">The operator's name in the def (optional).</param>
    public OperatorTester(OperatorCatalog catalog, string type, string name = "")
    {
        _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        ArgumentException.ThrowIfNullOrEmpty(type);
        _def = OperatorDef.Create(type, name ?? "", [], []);
    }

    /// <summary>The def as built so far (inputs, outputs, arguments).</summary>
    public OperatorDef Def => _def;

    /// <summary>Thread counts every mode runs at besides the serial run; default 2 and 3 (the pool has 3 threads).</summary>
    public IReadOnlyList<int> ThreadCounts { get; private set; } = [2, 3];

    /// <summary>Sets argument <paramref name="name"/> (any kind <see cref="ArgumentHelper.MakeArgument{T}"/> takes).</summary>
    public OperatorTester Arg<T>(string name, T value)
    {
        _def.SetArgument(name, value);
        return this;
    }

    /// <summary>Sets the repeated argument <paramref name="name"/> (ints, floats or strings; see <see cref="ArgumentHelper.MakeRepeatedArgument{T}"/>).</summary>
    public OperatorTester Args<T>(string name, params IEnumerable<T> values)
    {
        _def.SetRepeatedArgument(name, values);
        return this;
    }

    /// <summary>Adds an input blob named <paramref name="name"/> holding a copy of <paramref name="value"/>.</summary>
    public OperatorTester Input(string name, Tensor value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        _def.Input.Add(name);
        _inputs.Add(value.Clone());
        return this;
    }

    /// <summary>Adds an input of <paramref name="data"/> with <paramref name="dims"/> (1-D when none given).</summary>
    public OperatorTester Input<T>(string name, T[] data, params long[] dims) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        return Input(name, Tensor.From<T>(data, dims.Length == 0 ? [data.LongLength] : dims));
    }

    /// <summary>Adds an output whose contents are not checked against a value (still checked across modes, threads and inference).</summary>
    public OperatorTester Output(string name) => AddOutput(name, null);

    /// <summary>Adds an output expected to equal <paramref name="expected"/> (type, shape and elements).</summary>
    public OperatorTester Output(string name, Tensor expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var copy = expected.Clone();
        return AddOutput(name, _ => copy);
    }

    /// <summary>Adds an output expected to be <paramref name="data"/> with <paramref name="dims"/> (1-D when none given).</summary>
    public OperatorTester Output<T>(string name, T[] data, params long[] dims) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        return Output(name, Tensor.From<T>(data, dims.Length == 0 ? [data.LongLength] : dims));
    }

    /// <summary>Adds an output computed by <paramref name="reference"/> from (copies of) the inputs, in order.</summary>
    public OperatorTester Output(string name, Func<IReadOnlyList<Tensor>, Tensor> reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return AddOutput(name, reference);
    }

    /// <summary>
    /// Adds an output with input 0's shape whose element k is <paramref name="perElement"/> of input 0's
    /// element k. For FLOAT16 write the reference to round once (compute in double, cast to Half).
    /// </summary>
    public OperatorTester Output<T>(string name, Func<T, T> perElement) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(perElement);
        return AddOutput(name, inputs =>
        {
            var x = Typed<T>(inputs, 0);
            var y = new Tensor(x.DataType, x.Dims);
            var xs = x.Data<T>();
            var ys = y.Data<T>();
            for (int k = 0; k < xs.Length; k++) ys[k] = perElement(xs[k]);
            return y;
        });
    }

    /// <summary>
    /// Adds an output with input 0's shape whose element k is <paramref name="perElement"/> of
    /// element k of inputs 0 and 1 (which must have the same number of elements; for broadcasting
    /// give a whole-tensor reference instead).
    /// </summary>
    public OperatorTester Output<T>(string name, Func<T, T, T> perElement) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(perElement);
        return AddOutput(name, inputs =>
        {
            var a = Typed<T>(inputs, 0);
            var b = Typed<T>(inputs, 1);
            if (a.Size != b.Size)
                throw new ArgumentException($"A per-element reference of two inputs needs equal sizes; inputs are {a.Describe()} and {b.Describe()}.");
            var y = new Tensor(a.DataType, a.Dims);
            var xs = a.Data<T>();
            var ys = b.Data<T>();
            var zs = y.Data<T>();
            for (int k = 0; k < zs.Length; k++) zs[k] = perElement(xs[k], ys[k]);
            return y;
        });
    }

    /// <summary>Compares outputs bit for bit (the default): -0 differs from +0; NaN equals NaN.</summary>
    public OperatorTester Exact()
    {
        _exact = true;
        return this;
    }

    /// <summary>Compares floating-point outputs within <c>atol + rtol * |expected|</c>; other types stay exact.</summary>
    public OperatorTester Tolerance(double rtol, double atol = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rtol);
        ArgumentOutOfRangeException.ThrowIfNegative(atol);
        (_exact, _rtol, _atol) = (false, rtol, atol);
        return this;
    }

    /// <summary>Sets the thread counts each mode runs at besides the serial run (1 to 3).</summary>
    public OperatorTester Threads(params int[] counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        foreach (var n in counts) ArgumentOutOfRangeException.ThrowIfLessThan(n, 1, nameof(counts));
        ThreadCounts = [.. counts];
        return this;
    }

    /// <summary>Also checks the gradient of input <paramref name="inputIndex"/> by finite differences (<see cref="GradientChecker"/>; FLOAT or DOUBLE).</summary>
    public OperatorTester GradientCheck(int inputIndex, int outputIndex = 0, double stepSize = 1e-3, double threshold = 5e-3)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputIndex);
        ArgumentOutOfRangeException.ThrowIfNegative(outputIndex);
        _gradientChecks.Add((inputIndex, outputIndex, stepSize, threshold));
        return this;
    }

    /// <summary>
    /// Makes <see cref="Run"/> assert instead that the op, as defined (outputs named as given, so
    /// an output may name an input), fails with a message containing <paramref name="substring"/>.
    /// </summary>
    public OperatorTester ExpectError(string substring)
    {
        ArgumentException.ThrowIfNullOrEmpty(substring);
        _expectedError = substring;
        return this;
    }

    /// <summary>Runs every check; throws <see cref="OperatorTestException"/> at the first that fails.</summary>
    public void Run()
    {
        if (_def.Output.Count == 0) throw new InvalidOperationException($"{_def.Type}: declare at least one output.");
        if (_expectedError is not null)
        {
            RunExpectingError(_expectedError);
            return;
        }
        var schema = _catalog.Schemas.Find(_def.Type) ?? throw Fail("schema", $"no schema is registered for '{_def.Type}'");
        if (schema.Verify(_def) is { } why) throw Fail("schema", $"the def does not match its schema: it {why}");

        var expected = new Tensor?[_def.Output.Count];
        for (int o = 0; o < expected.Length; o++)
            expected[o] = _expected[o]?.Invoke([.. _inputs.Select(t => t.Clone())]);

        // The def as given first (out of place, unless the caller named an output after an input),
        // then each allowed in-place pair.
        int givenInput = -1;
        for (int o = 0; o < _def.Output.Count && givenInput < 0; o++) givenInput = _def.Input.IndexOf(_def.Output[o]);
        var modes = new List<(string Label, OperatorDef Def, int Input)>
        {
            (givenInput < 0 ? "out of place" : $"in place {givenInput}->{_def.Output.IndexOf(_def.Input[givenInput])} (as given)", _def, givenInput),
        };
        for (int i = 0; i < _def.Input.Count; i++)
            for (int o = 0; o < _def.Output.Count; o++)
            {
                if (!schema.InplaceAllowed(i, o) || _def.Output[o] == _def.Input[i]) continue;
                var d = _def.Clone();
                d.Output[o] = d.Input[i];
                // Another output already holding that name would make it a different op.
                if (d.Output.Count(n => n == d.Input[i]) > 1) continue;
                if (schema.Verify(d) is not null) continue;
                modes.Add(($"in place {i}->{o}", d, i));
            }

        foreach (var (label, def, inputIndex) in modes)
        {
            // In place, an input that cannot hold the result may be refused (see remarks).
            bool mayFail = false;
            if (inputIndex >= 0 && def != _def)
            {
                int o = def.Output.IndexOf(def.Input[inputIndex]);
                var e = expected[o];
                mayFail = e is null || e.DataType != _inputs[inputIndex].DataType || !e.Dims.SequenceEqual(_inputs[inputIndex].Dims);
            }
            Tensor[]? serial = null;
            foreach (int threads in new[] { 0 }.Concat(ThreadCounts))
            {
                string mode = threads == 0 ? $"{label}, serial" : $"{label}, threads {threads}";
                Tensor[] actual;
                try
                {
                    actual = RunOnce(def, threads, outOfPlace: inputIndex < 0);
                }
                catch (Exception ex) when (ex is not OperatorTestException)
                {
                    if (mayFail && threads == 0) break;
                    throw Fail(mode, $"the operator failed: {ex.Message}", ex);
                }
                for (int o = 0; o < actual.Length; o++)
                {
                    if (expected[o] is { } e) Compare(mode, def.Output[o], o, e, actual[o], _exact);
                    if (serial is not null) Compare(mode + " (against the serial run)", def.Output[o], o, serial[o], actual[o], exact: true);
                }
                if (serial is null)
                {
                    CheckInference(schema, def, mode, actual);
                    serial = actual;
                }
            }
        }

        foreach (var (input, output, step, threshold) in _gradientChecks)
        {
            if (input >= _def.Input.Count) throw Fail("gradient check", $"there is no input {input}");
            var feed = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (int i = 0; i < _inputs.Count; i++) feed[_def.Input[i]] = _inputs[i];
            GradientCheckResult result;
            try
            {
                result = new GradientChecker(_catalog, step, threshold).Check(_def, feed, input, output);
            }
            catch (Exception ex)
            {
                throw Fail($"gradient check of input {input}", ex.Message, ex);
            }
            if (!result.Passed) throw Fail($"gradient check of input {input}", result.ToString());
        }
    }

    private OperatorTester AddOutput(string name, Func<IReadOnlyList<Tensor>, Tensor>? expected)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _def.Output.Add(name);
        _expected.Add(expected);
        return this;
    }

    private static Tensor Typed<T>(IReadOnlyList<Tensor> inputs, int index) where T : unmanaged
    {
        if (index >= inputs.Count) throw new ArgumentException($"The per-element reference reads input {index}; only {inputs.Count} are given.");
        var t = inputs[index];
        if (!Tensor.Matches<T>(t.DataType)) throw new ArgumentException($"The per-element reference takes {typeof(T).Name}; input {index} is {t.Describe()}.");
        return t;
    }

    private Workspace NewWorkspace(int threads) =>
        threads == 0 ? new Workspace(_catalog) : new Workspace(_catalog, SharedPool.Value) { IntraOpThreads = threads };

    private void Feed(Workspace ws)
    {
        for (int i = 0; i < _inputs.Count; i++) ws.FeedBlob(_def.Input[i], _inputs[i]);
    }

    private Tensor[] RunOnce(OperatorDef def, int threads, bool outOfPlace)
    {
        var ws = NewWorkspace(threads);
        Feed(ws);
        if (outOfPlace)
        {
            // A net, run twice: the second run reuses the outputs' storage and must not depend on it.
            var net = new NetDef { Name = "operator_tester" };
            net.Op.Add(def.Clone());
            ws.CreateNet(net);
            ws.RunNet(net.Name);
            ws.RunNet(net.Name);
        }
        else
        {
            ws.RunOperatorOnce(def);
        }
        return [.. def.Output.Select(ws.FetchBlob)];
    }

    private void RunExpectingError(string substring)
    {
        var ws = NewWorkspace(0);
        Feed(ws);
        try
        {
            ws.RunOperatorOnce(_def);
        }
        catch (Exception ex)
        {
            if (!ex.Message.Contains(substring, StringComparison.Ordinal))
                throw Fail("expecting an error", $"it failed, but the message \"{ex.Message}\" does not contain \"{substring}\"", ex);
            return;
        }
        throw Fail("expecting an error", $"it ran without error; expected a message containing \"{substring}\"");
    }

    private void CheckInference(OpSchema schema, OperatorDef def, string mode, Tensor[] actual)
    {
        if (!schema.HasTensorInferenceFunction) return;
        var shapes = _inputs.Select(t => TensorShape.Create(t.Shape, t.DataType)).ToArray();
        IReadOnlyList<TensorShape> inferred;
        try
        {
            inferred = schema.InferTensor(def, shapes);
        }
        catch (Exception ex)
        {
            throw Fail(mode, $"shape inference failed where the op ran: {ex.Message}", ex);
        }
        if (inferred.Count != actual.Length)
            throw Fail(mode, $"shape inference gives {inferred.Count} output(s); the op has {actual.Length}");
        for (int o = 0; o < actual.Length; o++)
        {
            var s = inferred[o];
            bool typeOk = s.DataType == DataType.Undefined || s.DataType == actual[o].DataType;
            bool dimsOk = s.UnknownShape || s.Dims.SequenceEqual(actual[o].Shape);
            if (!typeOk || !dimsOk)
                throw Fail(mode, $"output {o} '{def.Output[o]}': shape inference says {s.Describe()} but the op gave {actual[o].Describe()}");
        }
    }

    private void Compare(string mode, string blob, int output, Tensor expected, Tensor actual, bool exact)
    {
        string where = $"output {output} '{blob}'";
        if (expected.DataType != actual.DataType || !expected.Dims.SequenceEqual(actual.Dims))
            throw Fail(mode, $"{where} is {actual.Describe()}; expected {expected.Describe()}");
        if (expected.DataType == DataType.String)
        {
            var es = expected.Strings();
            var acs = actual.Strings();
            for (int k = 0; k < es.Length; k++)
                if (!string.Equals(es[k], acs[k], StringComparison.Ordinal))
                    throw Fail(mode, $"{where} element {k}: expected {expected.FormatElement(k)}, actual {actual.FormatElement(k)}");
            return;
        }
        bool floating = DataTypes.IsFloatingPoint(expected.DataType);
        for (long k = 0; k < expected.Size; k++)
        {
            bool ok;
            if (!floating) ok = Bits(expected, k) == Bits(actual, k);
            else
            {
                double e = Value(expected, k), a = Value(actual, k);
                if (double.IsNaN(e) || double.IsNaN(a)) ok = double.IsNaN(e) && double.IsNaN(a);
                else if (exact || double.IsInfinity(e) || double.IsInfinity(a)) ok = Bits(expected, k) == Bits(actual, k);
                else ok = Math.Abs(a - e) <= _atol + _rtol * Math.Abs(e);
            }
            if (!ok)
                throw Fail(mode, $"{where} element {k}{Index(expected.Dims, k)}: expected {Show(expected, k, floating)}, actual {Show(actual, k, floating)}" +
                    (exact ? " (exact)" : $" (rtol {_rtol}, atol {_atol})"));
        }
    }

    private static string Index(ReadOnlySpan<long> dims, long k)
    {
        if (dims.Length < 2) return "";
        var idx = new long[dims.Length];
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            idx[d] = k % dims[d];
            k /= dims[d];
        }
        return $" [{string.Join(", ", idx)}]";
    }

    private static string Show(Tensor t, long k, bool floating)
    {
        string text = t.FormatElement(k);
        if (!floating) return text;
        string hex = Bits(t, k).ToString("X" + (t.ElementSize * 2), CultureInfo.InvariantCulture);
        return $"{text} (0x{hex})";
    }

    private static double Value(Tensor t, long k)
    {
        var reader = new ElementAsDouble(t, checked((int)k));
        if (!DataTypes.Dispatch(t.DataType, ref reader)) throw new InvalidOperationException(t.Describe());
        return reader.Value;
    }

    private struct ElementAsDouble(Tensor t, int k) : INumericTypeVisitor
    {
        public double Value;
        public void Visit<T>() where T : unmanaged, INumber<T> => Value = double.CreateTruncating(t.Data<T>()[k]);
    }

    private static ulong Bits(Tensor t, long k)
    {
        int size = t.ElementSize;
        var bytes = t.RawBytes.Slice(checked((int)k * size), size);
        ulong v = 0;
        for (int b = 0; b < size; b++) v |= (ulong)bytes[b] << (8 * b);
        return v;
    }

    private OperatorTestException Fail(string mode, string message, Exception? inner = null) =>
        new($"{_def.Type}{(string.IsNullOrEmpty(_def.Name) ? "" : $" \"{_def.Name}\"")} ({mode}): {message.TrimEnd('.')}.", inner);
}

/// <summary>Reference helpers for tests written with <see cref="OperatorTester"/>.</summary>
public static class OperatorTesterReference
{
    /// <summary>
    /// A FLOAT16 element-wise reference that rounds once: <paramref name="inDouble"/> computes in
    /// double, the result is cast to Half.
    /// </summary>
    public static Func<Half, Half> HalfViaDouble(Func<double, double> inDouble)
    {
        ArgumentNullException.ThrowIfNull(inDouble);
        return h => (Half)inDouble((double)h);
    }

    /// <summary>Lengths that cross every vector width and tail of the element-wise driver: 0 to 129 and 2048.</summary>
    public static IReadOnlyList<int> Lengths { get; } = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 2048];

    /// <summary>
    /// <paramref name="n"/> values of <typeparamref name="T"/> that cycle through the special values
    /// (±0, ±infinity, NaN, ± the smallest denormal, ±max) at odd indices, and seeded random values in [-4, 4) at even ones;
    /// the last element is a special value too (chosen by <paramref name="n"/>), so the driver's scalar tail meets them as
    /// well as its vector lanes.
    /// </summary>
    public static T[] SpecialAndRandom<T>(int n, int seed = 1) where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        T[] specials = [T.Zero, T.NegativeZero, T.PositiveInfinity, T.NegativeInfinity, T.NaN, T.Epsilon, -T.Epsilon, T.MaxValue, T.MinValue];
        var r = new Random(seed);
        var data = new T[n];
        for (int k = 0; k < n; k++)
            data[k] = k % 2 == 1 ? specials[k / 2 % specials.Length] : T.CreateTruncating(r.NextDouble() * 8 - 4);
        if (n > 0 && (n - 1) % 2 == 0) data[n - 1] = specials[n / 2 % specials.Length];
        return data;
    }
}
