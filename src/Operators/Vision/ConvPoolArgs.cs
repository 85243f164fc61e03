// Hand-written.
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Operators.Vision;

/// <summary>Caffe2's <c>legacy_pad</c> argument (<c>caffe2_legacy.proto</c>).</summary>
public enum LegacyPadding
{
    /// <summary>0: the explicit pads are used; <c>out = floor((in + pad_begin + pad_end - dk) / stride) + 1</c>.</summary>
    NotSet = 0,

    /// <summary>1: no padding; <c>out = (in - dk) / stride + 1</c>.</summary>
    Valid = 1,

    /// <summary>2: <c>out = ceil(in / stride)</c>, the total pad split with the odd pixel at the end.</summary>
    Same = 2,

    /// <summary>3: Caffe's ceil-mode pooling: <c>out = ceil((in + 2 * pad - k) / stride) + 1</c>, minus one when the last window would start in the end padding.</summary>
    CaffeLegacyPooling = 3,
}

/// <summary>
/// The size, pads and output size of one spatial dim, resolved for a given input.
/// </summary>
/// <param name="In">Input size.</param>
/// <param name="Kernel">Window size.</param>
/// <param name="Stride">Step between windows.</param>
/// <param name="Dilation">Window dilation.</param>
/// <param name="PadBegin">Padding before the image (the first window starts at <c>-PadBegin</c>).</param>
/// <param name="PadEnd">Padding after the image (may be negative in SAME and computed in Caffe's ceil mode).</param>
/// <param name="Out">Output size.</param>
public readonly record struct SpatialDim(int In, int Kernel, int Stride, int Dilation, int PadBegin, int PadEnd, int Out);

/// <summary>
/// The arguments Caffe2's convolution and pooling operators share (<c>ConvPoolOpBase</c>):
/// kernel, stride, dilation and pad in their single, pair and repeated forms, <c>legacy_pad</c>,
/// <c>global_pooling</c> and <c>order</c>, parsed once from a def; and the output-size rule.
/// </summary>
/// <remarks>
/// <para>Forms: <c>kernels</c>/<c>strides</c>/<c>dilations</c> (one value per spatial dim),
/// <c>kernel_h</c>+<c>kernel_w</c> (and likewise; 2-D), or the single <c>kernel</c>/<c>stride</c>/
/// <c>dilation</c>, which gives every spatial dim the same value (Caffe2 takes the single forms as
/// 2-D; here they also serve a 1-D input). <c>pads</c> lists all begins then all ends (<c>t, l, b, r</c>
/// in 2-D); <c>pad</c> pads every side; <c>pad_t</c>, <c>pad_l</c>, <c>pad_b</c>, <c>pad_r</c> come as a
/// set. Giving two forms of the same argument is an error. Strides and dilations default to 1, pads
/// to 0.</para>
/// <para>With <c>global_pooling</c> the kernel is the input's spatial extent (a <c>kernel</c>
/// argument is ignored; SqueezeNet writes <c>kernel: 0</c>); pads, strides and dilations must then
/// keep their defaults. <c>legacy_pad</c> VALID and SAME forbid explicit pads; Caffe's ceil mode uses
/// the begin pad on both sides and computes the end pad, so asymmetric pads are refused with it.</para>
/// <para>Pooling with dilation is a Caffe2Sharp extension (ONNX's MaxPool and AveragePool have
/// <c>dilations</c>; Caffe2 refuses them, so a NetDef using it does not load in Caffe2): the size
/// rules use the dilated kernel <c>dk = dilation * (kernel - 1) + 1</c>, as convolution does, and a
/// pooling's explicit pads must be smaller than <c>dk</c> (Caffe2's "smaller than the kernel"
/// where the dilation is 1).</para>
/// </remarks>
public sealed class ConvPoolArgs
{
    /// <summary>
    /// Declares on <paramref name="schema"/> the window arguments every form of which <see cref="Parse"/>
    /// reads: kernel, stride, pad and dilation (single, list and per-side forms), <c>legacy_pad</c>
    /// and <c>order</c>. Conv and the pooling operators share them.
    /// </summary>
    /// <param name="schema">The schema chain.</param>
    /// <param name="window">"Kernel" or "Window", for the docs.</param>
    /// <param name="pooling">Pooling: legacy_pad 3 is Caffe's ceil mode, and the dilation docs say it is a Caffe2Sharp extension.</param>
    public static OpSchema DeclareWindowArgs(OpSchema schema, string window, bool pooling)
    {
        ArgumentNullException.ThrowIfNull(schema);
        string lower = window.ToLowerInvariant();
        return schema
            .Arg("kernel", $"*(type: int)* {window} size of every spatial dim.", 0)
            .Arg("kernels", $"*(type: int[])* {window} size per spatial dim.", Array.Empty<long>())
            .Arg("kernel_h", $"*(type: int)* {window} height (with kernel_w).", 0)
            .Arg("kernel_w", $"*(type: int)* {window} width (with kernel_h).", 0)
            .Arg("stride", "*(type: int; default: 1)* Step of every spatial dim.", 1)
            .Arg("strides", "*(type: int[])* Step per spatial dim.", Array.Empty<long>())
            .Arg("stride_h", "*(type: int)* Vertical step (with stride_w).", 1)
            .Arg("stride_w", "*(type: int)* Horizontal step (with stride_h).", 1)
            .Arg("pad", "*(type: int; default: 0)* Padding of every side.", 0)
            .Arg("pads", "*(type: int[])* All begin pads, then all end pads: t, l, b, r in 2-D.", Array.Empty<long>())
            .Arg("pad_t", "*(type: int)* Top pad (with pad_l, pad_b, pad_r).", 0)
            .Arg("pad_l", "*(type: int)* Left pad.", 0)
            .Arg("pad_b", "*(type: int)* Bottom pad.", 0)
            .Arg("pad_r", "*(type: int)* Right pad.", 0)
            .Arg("dilation", pooling ? $"*(type: int; default: 1)* Dilation of every spatial dim: the {lower}'s taps are this far apart. {PoolingDilationNote}" : "*(type: int; default: 1)* Dilation of every spatial dim.", 1)
            .Arg("dilations", pooling ? $"*(type: int[])* Dilation per spatial dim. {PoolingDilationNote}" : "*(type: int[])* Dilation per spatial dim.", Array.Empty<long>())
            .Arg("dilation_h", pooling ? $"*(type: int)* Vertical dilation (with dilation_w). {PoolingDilationNote}" : "*(type: int)* Vertical dilation (with dilation_w).", 1)
            .Arg("dilation_w", pooling ? $"*(type: int)* Horizontal dilation (with dilation_h). {PoolingDilationNote}" : "*(type: int)* Horizontal dilation (with dilation_h).", 1)
            .Arg("legacy_pad", pooling
                ? "*(type: int; default: 0)* 0 NOTSET (explicit pads, floor), 1 VALID, 2 SAME, 3 CAFFE_LEGACY_POOLING (Caffe's ceil mode)."
                : "*(type: int; default: 0)* 0 NOTSET (explicit pads), 1 VALID, 2 SAME, 3 CAFFE_LEGACY_POOLING.", 0)
            .Arg("order", "*(type: string; default: NCHW)* Only NCHW is supported.", "NCHW");
    }

    // Said on every dilation argument of a pooling schema.
    private const string PoolingDilationNote = "Caffe2Sharp extension (ONNX's pooling dilations): Caffe2 refuses dilation in pooling, so a NetDef using it does not load in Caffe2.";

    private readonly int[]? _kernel, _stride, _dilation, _pads;
    private readonly bool _kernelSingle, _strideSingle, _dilationSingle, _padSingle;
    private readonly bool _pooling;

    private ConvPoolArgs(OperatorDef def, bool pooling)
    {
        string owner = def.DisplayName;
        Order = def.GetSingleArgument("order", "NCHW");
        if (Order != "NCHW")
            throw new EnforceNotMetException($"{owner}: argument 'order' = \"{Order}\" is not supported; only NCHW is.");
        GlobalPooling = def.GetSingleArgument("global_pooling", 0) != 0;
        int legacy = def.GetSingleArgument("legacy_pad", 0);
        if (legacy is < 0 or > 3)
            throw new EnforceNotMetException($"{owner}: argument 'legacy_pad' = {legacy} is not one of 0 (NOTSET), 1 (VALID), 2 (SAME), 3 (CAFFE_LEGACY_POOLING).");
        LegacyPad = (LegacyPadding)legacy;

        (_kernel, _kernelSingle) = Read(def, "kernel", "kernels", "kernel_h", "kernel_w");
        (_stride, _strideSingle) = Read(def, "stride", "strides", "stride_h", "stride_w");
        (_dilation, _dilationSingle) = Read(def, "dilation", "dilations", "dilation_h", "dilation_w");
        (_pads, _padSingle) = ReadPads(def);

        bool explicitPads = _pads is not null;
        if (explicitPads && LegacyPad is LegacyPadding.Valid or LegacyPadding.Same)
            throw new EnforceNotMetException($"{owner}: legacy_pad {(int)LegacyPad} ({LegacyPad}) computes the padding itself; explicit pads must not be given with it.");
        if (_stride is not null && _stride.Any(s => s < 1))
            throw new EnforceNotMetException($"{owner}: every stride must be at least 1; got [{string.Join(", ", _stride)}].");
        if (_dilation is not null && _dilation.Any(d => d < 1))
            throw new EnforceNotMetException($"{owner}: every dilation must be at least 1; got [{string.Join(", ", _dilation)}].");
        if (_pads is not null && _pads.Any(p => p < 0))
            throw new EnforceNotMetException($"{owner}: pads must not be negative; got [{string.Join(", ", _pads)}].");
        if (GlobalPooling)
        {
            if ((_pads is not null && _pads.Any(p => p != 0)) || (_stride is not null && _stride.Any(s => s != 1)) || (_dilation is not null && _dilation.Any(d => d != 1)))
                throw new EnforceNotMetException($"{owner}: with global_pooling, pad, stride and dilation must not be set.");
            return;
        }
        if (_kernel is null)
            throw new EnforceNotMetException($"{owner}: the kernel size must be given ('kernel', 'kernels' or 'kernel_h' and 'kernel_w'), or global_pooling set.");
        if (_kernel.Any(k => k < 1))
            throw new EnforceNotMetException($"{owner}: every kernel size must be at least 1; got [{string.Join(", ", _kernel)}].");
        _pooling = pooling;
    }

    /// <summary>The <c>order</c> argument (only NCHW is accepted).</summary>
    public string Order { get; }

    /// <summary>The <c>global_pooling</c> argument.</summary>
    public bool GlobalPooling { get; }

    /// <summary>The <c>legacy_pad</c> argument.</summary>
    public LegacyPadding LegacyPad { get; }

    /// <summary>Parses the arguments of <paramref name="def"/>.</summary>
    /// <param name="def">The operator def.</param>
    /// <param name="pooling">True for a pooling op: each explicit pad must be smaller than its (dilated) kernel.</param>
    /// <exception cref="EnforceNotMetException">An argument is invalid or conflicts with another; the message names it.</exception>
    public static ConvPoolArgs Parse(OperatorDef def, bool pooling)
    {
        ArgumentNullException.ThrowIfNull(def);
        return new ConvPoolArgs(def, pooling);
    }

    /// <summary>
    /// Resolves every spatial dim of an NCHW-style input of <paramref name="inputDims"/>
    /// (<c>[N, C, spatial...]</c>) into <paramref name="result"/>, one entry per spatial dim.
    /// </summary>
    /// <exception cref="EnforceNotMetException">The argument counts do not match the input's spatial rank, or a padded input is smaller than its kernel.</exception>
    public void Resolve(ReadOnlySpan<long> inputDims, Span<SpatialDim> result, string blob)
    {
        int n = inputDims.Length - 2;
        if (n < 1 || result.Length != n)
            throw new EnforceNotMetException($"input '{blob}' has rank {inputDims.Length}; {result.Length + 2} ([N, C] and {result.Length} spatial dims) is needed.");
        for (int d = 0; d < n; d++)
        {
            if (inputDims[d + 2] > int.MaxValue)
                throw new EnforceNotMetException($"input '{blob}' spatial dim {d} = {inputDims[d + 2]} is too large.");
            int input = (int)inputDims[d + 2];
            var (_, kernel, stride, dilation, padBegin, padEnd, _) = Window(n, d, blob, readKernel: !GlobalPooling);
            if (GlobalPooling)
            {
                result[d] = new SpatialDim(input, input, 1, 1, 0, 0, input == 0 ? 0 : 1);
                continue;
            }
            // Caffe2's pooling rule, against the dilated extent (the same at dilation 1): no window
            // lies wholly in one pad, and the end pads that give ONNX's ceil-mode sizes stay below it.
            // (A dilated window can still have every tap in a gap or a pad on a small image: it then
            // pools nothing, -infinity or 0, as PoolingKernels documents.)
            int extent = dilation * (kernel - 1) + 1;
            if (_pooling && (padBegin >= extent || padEnd >= extent))
                throw new EnforceNotMetException(dilation == 1
                    ? $"spatial dim {d}: the pads {padBegin} and {padEnd} must be smaller than the kernel {kernel}."
                    : $"spatial dim {d}: the pads {padBegin} and {padEnd} must be smaller than the dilated kernel {extent} (kernel {kernel}, dilation {dilation}).");
            var (o, pb, pe) = ComputeSizeAndPad(input, kernel, stride, dilation, LegacyPad, padBegin, padEnd, d, blob);
            result[d] = new SpatialDim(input, kernel, stride, dilation, pb, pe, o);
        }
    }

    /// <summary>
    /// The window arguments of spatial dim <paramref name="dim"/> as given, for an input with
    /// <paramref name="spatialRank"/> spatial dims: kernel (0 when not given), stride, dilation and
    /// the explicit begin and end pads (0 when not given). No output-size rule and no
    /// <c>legacy_pad</c> is applied, and <c>In</c> and <c>Out</c> are 0: for operators whose size
    /// rule is not the convolution's (ConvTranspose).
    /// </summary>
    /// <param name="spatialRank">The number of spatial dims of the input.</param>
    /// <param name="dim">The spatial dim, 0-based.</param>
    /// <param name="blob">The input blob, for messages.</param>
    /// <exception cref="EnforceNotMetException">A repeated argument has the wrong number of values for <paramref name="spatialRank"/>.</exception>
    public SpatialDim Window(int spatialRank, int dim, string blob)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spatialRank, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(dim);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(dim, spatialRank);
        return Window(spatialRank, dim, blob, readKernel: true);
    }

    // The arguments of one spatial dim as given (stride, dilation, pads, then the kernel unless
    // global pooling makes it the input's size); Resolve applies the size rule to them.
    private SpatialDim Window(int n, int dim, string blob, bool readKernel)
    {
        int stride = Pick(_stride, _strideSingle, n, dim, 1, "strides", blob), dilation = Pick(_dilation, _dilationSingle, n, dim, 1, "dilations", blob);
        int padBegin = 0, padEnd = 0;
        if (_pads is not null)
        {
            if (_padSingle) padBegin = padEnd = _pads[0];
            else
            {
                if (_pads.Length != 2 * n)
                    throw new EnforceNotMetException($"argument 'pads' has {_pads.Length} value(s); a {n}-D input '{blob}' needs {2 * n} (all begins, then all ends{(n == 2 ? ": t, l, b, r" : "")}).");
                padBegin = _pads[dim];
                padEnd = _pads[n + dim];
            }
        }
        int kernel = readKernel ? Pick(_kernel, _kernelSingle, n, dim, 0, "kernels", blob) : 0;
        return new SpatialDim(0, kernel, stride, dilation, padBegin, padEnd, 0);
    }

    /// <summary>
    /// Reads an argument given in its single (<paramref name="single"/>), repeated
    /// (<paramref name="repeated"/>) or pair (<paramref name="h"/> with <paramref name="w"/>) form, as
    /// kernel, stride and dilation are; at most one form may be given. Single is true for the single form.
    /// </summary>
    internal static (int[]? Values, bool Single) ReadForms(OperatorDef def, string single, string repeated, string h, string w) =>
        Read(def, single, repeated, h, w);

    /// <summary>
    /// Caffe2's <c>ComputeSizeAndPad</c>: the output size and the begin and end pads of one spatial dim.
    /// </summary>
    /// <param name="input">Input size.</param>
    /// <param name="kernel">Window size.</param>
    /// <param name="stride">Step.</param>
    /// <param name="dilation">Dilation (<c>dk = dilation * (kernel - 1) + 1</c>).</param>
    /// <param name="legacyPad">The padding rule.</param>
    /// <param name="padBegin">The explicit begin pad (NOTSET, and Caffe's ceil mode, where it is used on both sides).</param>
    /// <param name="padEnd">The explicit end pad (NOTSET).</param>
    /// <param name="dim">The spatial dim, for messages.</param>
    /// <param name="blob">The input blob, for messages.</param>
    /// <exception cref="EnforceNotMetException">The (padded) input is smaller than the kernel, or Caffe's ceil mode is given asymmetric pads.</exception>
    public static (int Out, int PadBegin, int PadEnd) ComputeSizeAndPad(int input, int kernel, int stride, int dilation, LegacyPadding legacyPad, int padBegin, int padEnd, int dim = 0, string blob = "X")
    {
        int dk = dilation * (kernel - 1) + 1;
        switch (legacyPad)
        {
            case LegacyPadding.NotSet:
            {
                long padded = (long)input + padBegin + padEnd;
                if (padded < dk)
                    throw new EnforceNotMetException($"input '{blob}' spatial dim {dim}: the padded size {input} + {padBegin} + {padEnd} = {padded} is smaller than the kernel {dk}.");
                return ((int)((padded - dk) / stride + 1), padBegin, padEnd);
            }
            case LegacyPadding.Valid:
                if (input < dk)
                    throw new EnforceNotMetException($"input '{blob}' spatial dim {dim}: the size {input} is smaller than the kernel {dk} (legacy_pad VALID).");
                return ((input - dk) / stride + 1, 0, 0);
            case LegacyPadding.Same:
            {
                if (dilation != 1) throw new EnforceNotMetException("legacy_pad SAME does not support dilation.");
                int target = (input + stride - 1) / stride;
                int need = (target - 1) * stride + kernel - input;
                int head = need / 2;
                int tail = need - head;
                return (Math.Max(0, (input + head + tail - dk) / stride + 1), head, tail);
            }
            case LegacyPadding.CaffeLegacyPooling:
            {
                if (padBegin != padEnd)
                    throw new EnforceNotMetException($"input '{blob}' spatial dim {dim}: legacy_pad 3 (CAFFE_LEGACY_POOLING) pads both sides by the begin pad; the pads {padBegin} and {padEnd} differ.");
                long span = (long)input + 2L * padBegin - dk;
                if (span < 0)
                    throw new EnforceNotMetException($"input '{blob}' spatial dim {dim}: the padded size {input} + 2 * {padBegin} is smaller than the kernel {dk}.");
                // Caffe rounds up where Caffe2 rounds down.
                int output = (int)((span + stride - 1) / stride) + 1;
                // With padding, Caffe makes the last window start strictly inside the image (and its begin pad).
                if (padBegin > 0 && (long)(output - 1) * stride >= input + padBegin) output--;
                int standard = (int)(span / stride) + 1;
                return (output, padBegin, padBegin + stride * (output - standard));
            }
            default:
                throw new EnforceNotMetException($"legacy_pad {(int)legacyPad} is not supported.");
        }
    }

    private static int Pick(int[]? values, bool single, int n, int d, int defaultValue, string name, string blob)
    {
        if (values is null) return defaultValue;
        if (single) return values[0];
        if (values.Length != n)
            throw new EnforceNotMetException($"argument '{name}' has {values.Length} value(s); the {n}-D input '{blob}' needs {n}.");
        return values[d];
    }

    // The single, repeated or _h/_w form of one argument; at most one may be given.
    private static (int[]? Values, bool Single) Read(OperatorDef def, string single, string repeated, string h, string w)
    {
        bool hasSingle = def.HasArgument(single), hasRepeated = def.HasArgument(repeated), hasH = def.HasArgument(h), hasW = def.HasArgument(w);
        if ((hasSingle ? 1 : 0) + (hasRepeated ? 1 : 0) + (hasH || hasW ? 1 : 0) > 1)
            throw new EnforceNotMetException($"{def.DisplayName}: give only one of '{single}', '{repeated}' and '{h}'/'{w}'.");
        if (hasH != hasW)
            throw new EnforceNotMetException($"{def.DisplayName}: '{h}' and '{w}' must be given together.");
        if (hasSingle) return ([def.GetSingleArgument(single, 0)], true);
        if (hasH) return ([def.GetSingleArgument(h, 0), def.GetSingleArgument(w, 0)], false);
        if (hasRepeated)
        {
            var values = def.GetRepeatedArgument<int>(repeated);
            if (values.Length == 0) throw new EnforceNotMetException($"{def.DisplayName}: argument '{repeated}' is empty.");
            return (values, false);
        }
        return (null, false);
    }

    private static (int[]? Values, bool Single) ReadPads(OperatorDef def)
    {
        string[] sides = ["pad_t", "pad_l", "pad_b", "pad_r"];
        bool hasPad = def.HasArgument("pad"), hasPads = def.HasArgument("pads");
        int sideCount = sides.Count(def.HasArgument);
        if ((hasPad ? 1 : 0) + (hasPads ? 1 : 0) + (sideCount > 0 ? 1 : 0) > 1)
            throw new EnforceNotMetException($"{def.DisplayName}: give only one of 'pad', 'pads' and 'pad_t'/'pad_l'/'pad_b'/'pad_r'.");
        if (sideCount is > 0 and < 4)
            throw new EnforceNotMetException($"{def.DisplayName}: 'pad_t', 'pad_l', 'pad_b' and 'pad_r' must be given together.");
        if (hasPad) return ([def.GetSingleArgument("pad", 0)], true);
        // pads order: begins then ends, so t, l, b, r.
        if (sideCount == 4) return ([.. sides.Select(s => def.GetSingleArgument(s, 0))], false);
        if (hasPads) return (def.GetRepeatedArgument<int>("pads"), false);
        return (null, false);
    }
}

/// <summary>Schema pieces shared by the convolution-like operators.</summary>
internal static class ConvolutionSchemas
{
    /// <summary>
    /// The shape and cost inference of a convolution-like operator <c>(X, filter[, bias]) -&gt; Y</c>
    /// (Conv, ConvTranspose): <paramref name="shape"/> gives Y's dims and the multiply-adds for
    /// X's, the filter's and the bias's dims (null without a bias, or when its shape is unknown),
    /// checking them. Cost: two flops per multiply-add; X and the parameters read, Y written.
    /// </summary>
    internal static OpSchema ConvolutionInference(this OpSchema schema, string opType, Func<OperatorDef, long[], long[], long[]?, (long[] OutputDims, long MultiplyAdds)> shape) =>
        schema
            .TensorInferenceFunction((def, inputs) =>
            {
                var x = inputs[0];
                var w = inputs[1];
                if (x.UnknownShape || w.UnknownShape) return [TensorShape.Unknown(x.DataType)];
                var (outDims, _) = shape(def, x.Dims.ToArray(), w.Dims.ToArray(), inputs.Count > 2 && !inputs[2].UnknownShape ? inputs[2].Dims.ToArray() : null);
                return [TensorShape.Create(outDims, x.DataType)];
            })
            .CostInferenceFunction((def, inputs) =>
            {
                Enforce.That(inputs[0].ElementCount >= 0 && inputs[1].ElementCount >= 0,
                    () => $"{opType} cost of {def.DisplayName}: an input shape is unknown.");
                var (outDims, multiplyAdds) = shape(def, inputs[0].Dims.ToArray(), inputs[1].Dims.ToArray(), inputs.Count > 2 ? inputs[2].Dims.ToArray() : null);
                long outN = outDims.Aggregate(1L, (a, b) => a * b);
                ulong size = (ulong)DataTypes.ElementSize(inputs[0].DataType);
                ulong paramBytes = (ulong)(inputs[1].ElementCount + (inputs.Count > 2 ? inputs[2].ElementCount : 0)) * size;
                return new Cost((ulong)(2 * multiplyAdds), (ulong)inputs[0].ElementCount * size + paramBytes, (ulong)outN * size, paramBytes);
            });
}

/// <summary>
/// The common run-time checks of the convolution-like operators <c>(X, filter[, bias]) -&gt; Y</c>:
/// every input FLOAT and none of them the output, and the shapes for the inputs' dims, computed
/// (allocating) only when a dim changed since the last run, so a steady-state run allocates nothing.
/// </summary>
internal abstract class ConvolutionOperator<TShapes>(OperatorDef def, Workspace ws) : OperatorBase(def, ws) where TShapes : struct
{
    private long[] _xDims = [], _wDims = [], _bDims = [];
    private TShapes _shapes;
    private bool _known;

    /// <summary>The shapes of the current inputs (their dims checked by the implementation).</summary>
    protected abstract TShapes ComputeShapes();

    /// <summary>Checks the inputs of this <paramref name="type"/> op and returns the shapes for their dims.</summary>
    protected TShapes CheckInputsAndShapes(string type)
    {
        for (int i = 0; i < InputSize; i++)
        {
            if (Input(i).DataType != DataType.Float)
                throw Error($"input {i} '{Def.Input[i]}' must be FLOAT; it is {Input(i).Describe()}.");
            if (IsInPlace(i, 0)) throw Error($"the output may not be input {i} '{Def.Input[i]}': {type} does not run in place.");
        }
        var x = Input(0).Dims;
        var w = Input(1).Dims;
        var b = InputSize > 2 ? Input(2).Dims : default;
        if (!_known || !x.SequenceEqual(_xDims) || !w.SequenceEqual(_wDims) || !b.SequenceEqual(_bDims))
        {
            _shapes = ComputeShapes();
            (_xDims, _wDims, _bDims, _known) = (x.ToArray(), w.ToArray(), b.ToArray(), true);
        }
        return _shapes;
    }
}

