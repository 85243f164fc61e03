// Hand-written.
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Vision;

/// <summary>
/// The blocked-channel (NCHWc) operators that the inference optimiser puts in place of Conv,
/// MaxPool and AveragePool (ONNX Runtime's <c>NchwcTransformer</c>), and the layout pass that does
/// it; one registration method. Internal: they appear only in optimised nets, never in a net a
/// user writes or exports.
/// </summary>
/// <remarks>
/// <para>A blocked tensor holds an NCHW tensor of C channels as <c>[N, ceil(C/16), H, W, 16]</c>
/// (<see cref="Kernels.Nchwc"/>): the 16 channels of a block lie next to each other, so one vector
/// holds one pixel of 16 channels. Padded channels hold values the kernels keep finite (0 from a
/// reorder or a zero filter, then the fused residual and Relu), and no consumer reads them as
/// data: a reorder to NCHW drops them.</para>
/// <para>Operators: <c>NchwcReorderInput</c> (NCHW to blocked), <c>NchwcReorderOutput</c> (blocked to
/// NCHW, argument <c>channels</c>), <c>NchwcConv</c> (Conv's arguments and inputs, X blocked or, for
/// fewer than 16 input channels, NCHW; Y blocked; the internal argument <c>fused_sum</c> = 1 makes the
/// last input a blocked tensor added to each output before the activation), <c>NchwcMaxPool</c> and
/// <c>NchwcAveragePool</c> (the pooling arguments, blocked in and out). Relu, Sum and channel Concat
/// run on blocked tensors as they are.</para>
/// </remarks>
public static class NchwcOperators
{
    /// <summary>The pack name used by <see cref="AddNchwc"/>.</summary>
    public const string PackName = "Caffe2Sharp.Nchwc";

    /// <summary>The internal argument of <c>NchwcConv</c> marking its last input as a fused residual.</summary>
    public const string FusedSumArg = "fused_sum";

    /// <summary>The internal arguments of <c>NchwcConv</c> that make it write blocks <c>[offset, offset + M/16)</c> of a Y of <c>blocks</c> blocks (a channel Concat written in place).</summary>
    public const string OutputBlockOffsetArg = "output_block_offset", OutputBlocksArg = "output_blocks";

    /// <summary>Adds the NCHWc pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddNchwc(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the NCHWc schemas, CPU kernels and layout passes into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        catalog.Schemas.Schema("NchwcReorderInput").Private().NumInputs(1).NumOutputs(1)
            .TensorInferenceFunction(static (def, inputs) =>
            {
                var x = inputs[0];
                if (x.UnknownShape) return [TensorShape.Unknown(x.DataType)];
                var d = x.Dims.ToArray();
                CheckRank(def, "X", d, 4);
                return [TensorShape.Create(Blocked(d[0], d[1], d[2], d[3]), x.DataType)];
            })
            .CostInferenceFunction(static (def, inputs) => CopyCost(inputs[0]))
            .Input(0, "X", "FLOAT NCHW [N, C, H, W].")
            .Output(0, "Y", "[N, ceil(C/16), H, W, 16], channels past C zero.")
            .SetDoc("Internal: reorders an NCHW tensor into 16-channel blocks for the NCHWc kernels.");
        catalog.Operators.Register("NchwcReorderInput", static (d, ws) => new ReorderOp(d, ws, toBlocked: true));

        catalog.Schemas.Schema("NchwcReorderOutput").Private().NumInputs(1).NumOutputs(1)
            .RequiredArg("channels", "*(type: int)* The real channel count C (the blocks hold ceil(C/16) * 16).", ArgumentKind.Int)
            .TensorInferenceFunction(static (def, inputs) =>
            {
                var x = inputs[0];
                if (x.UnknownShape) return [TensorShape.Unknown(x.DataType)];
                var d = x.Dims.ToArray();
                CheckRank(def, "X", d, 5);
                return [TensorShape.Create([d[0], def.GetSingleArgument("channels", 0), d[2], d[3]], x.DataType)];
            })
            .CostInferenceFunction(static (def, inputs) => CopyCost(inputs[0]))
            .Input(0, "X", "FLOAT blocked [N, ceil(C/16), H, W, 16].")
            .Output(0, "Y", "NCHW [N, C, H, W].")
            .SetDoc("Internal: reorders a 16-channel-blocked tensor back to NCHW, dropping the padded channels.");
        catalog.Operators.Register("NchwcReorderOutput", static (d, ws) => new ReorderOp(d, ws, toBlocked: false));

        ConvPoolArgs.DeclareWindowArgs(catalog.Schemas.Schema("NchwcConv").Private().NumInputs(2, 4).NumOutputs(1), "Kernel", pooling: false)
            .Arg("group", "*(type: int; default: 1)* Number of groups.", 1)
            .Arg(Conv.ActivationArg, "*(type: string; default: \"\")* \"Relu\" or empty, as Conv's.", "")
            .Arg(FusedSumArg, "*(type: int; default: 0)* 1: the last input is a blocked tensor of Y's shape added to each output (after the bias, before the activation).", 0)
            .Arg(OutputBlocksArg, "*(type: int; default: 0)* Non-zero: Y has this many blocks and the op writes only its own, from output_block_offset (several convolutions writing one channel Concat).", 0)
            .Arg(OutputBlockOffsetArg, "*(type: int; default: 0)* The first block of Y this op writes, with output_blocks.", 0)
            .ConvolutionInference("NchwcConv", static (def, x, w, b) =>
            {
                var s = NchwcConvShapes(def, x, w, b is not null && def.GetSingleArgument(FusedSumArg, 0) == 0 ? b : null);
                long outputs = s.OutputDims.Aggregate(1L, (p, d) => p * d);
                var o = s.OutputDims;
                var y = Blocked(o[0], o[1], o[2], o[3]);
                long total = def.GetSingleArgument(OutputBlocksArg, 0);
                if (total > 0) y[1] = total;
                return (y, outputs * s.ChannelsPerGroup * s.KernelSize);
            })
            .Input(0, "X", "FLOAT blocked [N, C/16, H, W, 16], or NCHW [N, C, H, W] for C < 16.")
            .Input(1, "filter", "FLOAT filters packed for the NCHWc kernel when the net was optimised, [M, C / group, kH, kW] with M a multiple of 16 (the padded filters zero).")
            .Input(2, "bias", "Optional FLOAT bias [M] (zero on the padded filters).")
            .Input(3, "sum", "With fused_sum, a blocked tensor of Y's shape (input 2 when there is no bias).")
            .Output(0, "Y", "[N, ceil(M/16), H_out, W_out, 16].")
            .SetDoc("Internal: Conv on 16-channel-blocked tensors with the bias, a residual sum and Relu fused into the store.");
        catalog.Operators.Register("NchwcConv", static (d, ws) => new NchwcConvOp(d, ws));

        foreach (var (type, average) in (ReadOnlySpan<(string, bool)>)[("NchwcMaxPool", false), ("NchwcAveragePool", true)])
        {
            var schema = ConvPoolArgs.DeclareWindowArgs(catalog.Schemas.Schema(type).Private().NumInputs(1).NumOutputs(1), "Window", pooling: true)
                .Arg("global_pooling", "*(type: int; default: 0)* 1: pool the whole spatial extent.", 0)
                .TensorInferenceFunction(static (def, inputs) =>
                {
                    var x = inputs[0];
                    if (x.UnknownShape) return [TensorShape.Unknown(x.DataType)];
                    var o = PoolDims(def, x.Dims.ToArray(), out _);
                    return [TensorShape.Create(Blocked(o[0], o[1], o[2], o[3]), x.DataType)];
                })
                .CostInferenceFunction(static (def, inputs) =>
                {
                    var x = inputs[0];
                    Enforce.That(x.ElementCount >= 0, () => $"Cost of operator {def.DisplayName}: the shape of input 0 is unknown.");
                    var o = PoolDims(def, x.Dims.ToArray(), out long window);
                    long outN = Blocked(o[0], o[1], o[2], o[3]).Aggregate(1L, (a, b) => a * b);
                    return new Cost((ulong)(outN * window), (ulong)x.ElementCount * 4, (ulong)outN * 4);
                })
                .Input(0, "X", "FLOAT blocked [N, C/16, H, W, 16].")
                .Output(0, "Y", "[N, C/16, H_out, W_out, 16].")
                .SetDoc($"Internal: {(average ? "AveragePool" : "MaxPool")} on 16-channel-blocked tensors, bit-identical to the NCHW operator; no dilation.");
            if (average) schema.Arg("count_include_pad", "*(type: int; default: 0)* As AveragePool's.", 0);
            catalog.Operators.Register(type, average ? static (d, ws) => new NchwcPoolOp(d, ws, average: true) : static (d, ws) => new NchwcPoolOp(d, ws, average: false));
        }

        catalog.Passes.Add(new NchwcTransform());
        catalog.Passes.Add(new FuseSumIntoNchwcConv());
        catalog.Passes.Add(new ConcatIntoNchwcConvs());
        catalog.Passes.Add(new FuseReluInto("fuse Relu into NchwcConv", NetPassStage.Layout, "NchwcConv"));
    }

    /// <summary>The blocked dims of an NCHW tensor <c>[n, c, h, w]</c>.</summary>
    internal static long[] Blocked(long n, long c, long h, long w) => [n, (c + Kernels.Nchwc.BlockSize - 1) / Kernels.Nchwc.BlockSize, h, w, Kernels.Nchwc.BlockSize];

    internal static void CheckRank(OperatorDef def, string what, long[] dims, int rank)
    {
        if (dims.Length != rank || (rank == 5 && dims[4] != Kernels.Nchwc.BlockSize))
            throw new EnforceNotMetException($"{def.DisplayName}: input {what} '{(def.Input.Count > 0 ? def.Input[0] : what)}' has dims [{string.Join(", ", dims)}]; " +
                (rank == 5 ? $"it must be blocked [N, C/16, H, W, {Kernels.Nchwc.BlockSize}]." : "it must be NCHW [N, C, H, W]."));
    }

    /// <summary>The NCHW dims a blocked (rank 5) or plain (rank 4) input stands for.</summary>
    internal static long[] Logical(long[] x) => x.Length == 5 ? [x[0], x[1] * x[4], x[2], x[3]] : x;

    internal static Conv.ConvShapes NchwcConvShapes(OperatorDef def, long[] x, long[] w, long[]? bias)
    {
        // Rank 5: blocked, checked here; otherwise Conv's own checks name what NCHW X must be.
        if (x.Length == 5) CheckRank(def, "X", x, 5);
        return Conv.Shapes(def, Logical(x), w, bias);
    }

    private static long[] PoolDims(OperatorDef def, long[] x, out long window)
    {
        CheckRank(def, "X", x, 5);
        var logical = Logical(x);
        var spatial = new SpatialDim[2];
        ConvPoolArgs.Parse(def, pooling: true).Resolve(logical, spatial, def.Input[0]);
        window = (long)spatial[0].Kernel * spatial[1].Kernel;
        return [logical[0], logical[1], spatial[0].Out, spatial[1].Out];
    }

    private static Cost CopyCost(TensorShape x)
    {
        ulong bytes = (ulong)Math.Max(0, x.ElementCount) * 4;
        return new Cost(0, bytes, bytes);
    }
}

/// <summary>NchwcReorderInput(X) -&gt; Y and NchwcReorderOutput(X) -&gt; Y.</summary>
internal sealed class ReorderOp : OperatorBase
{
    private readonly bool _toBlocked;
    private readonly int _channels;
    private readonly long[] _out;

    public ReorderOp(OperatorDef def, Workspace ws, bool toBlocked) : base(def, ws)
    {
        _toBlocked = toBlocked;
        _channels = toBlocked ? 0 : GetSingleArgument("channels", 0);
        if (!toBlocked && _channels < 1) throw Error($"argument 'channels' = {_channels} must be at least 1.");
        _out = new long[toBlocked ? 5 : 4];
    }

    public override void Run()
    {
        var x = Input(0);
        if (x.DataType != DataType.Float) throw Error($"input '{Def.Input[0]}' must be FLOAT; it is {x.Describe()}.");
        if (IsInPlace(0, 0)) throw Error($"the output may not be the input '{Def.Input[0]}'.");
        var d = x.Dims;
        int rank = _toBlocked ? 4 : 5;
        if (d.Length != rank || (!_toBlocked && (d[4] != Kernels.Nchwc.BlockSize || d[1] != (_channels + Kernels.Nchwc.BlockSize - 1) / Kernels.Nchwc.BlockSize)))
            throw Error($"input '{Def.Input[0]}' is {x.Describe()}; it must be " +
                (_toBlocked ? "NCHW [N, C, H, W]." : $"blocked [N, {(_channels + Kernels.Nchwc.BlockSize - 1) / Kernels.Nchwc.BlockSize}, H, W, {Kernels.Nchwc.BlockSize}] for {_channels} channels."));
        if (x.Size > int.MaxValue) throw Error($"input '{Def.Input[0]}' {x.Describe()} is too large.");
        var y = Output(0);
        int n = (int)d[0], h = (int)d[2], w = (int)d[3];
        if (_toBlocked)
        {
            int c = (int)d[1];
            _out[0] = n; _out[1] = (c + Kernels.Nchwc.BlockSize - 1) / Kernels.Nchwc.BlockSize; _out[2] = h; _out[3] = w; _out[4] = Kernels.Nchwc.BlockSize;
            y.Resize(DataType.Float, _out);
            Kernels.Nchwc.ReorderInput(x.Data<float>(), n, c, h, w, y.Data<float>(), Pool, MaxDegreeOfParallelism);
        }
        else
        {
            _out[0] = n; _out[1] = _channels; _out[2] = h; _out[3] = w;
            y.Resize(DataType.Float, _out);
            Kernels.Nchwc.ReorderOutput(x.Data<float>(), n, _channels, h, w, y.Data<float>(), Pool, MaxDegreeOfParallelism);
        }
    }
}

/// <summary>NchwcConv(X, filter[, bias][, sum]) -&gt; Y.</summary>
/// <remarks>The filter input holds filters packed by <see cref="Kernels.Nchwc.PackFilter(ReadOnlySpan{float}, int, int, int, int, int, Span{float})"/>
/// when the net was optimised (the layout pass makes this op for constant filters only), M padded to whole blocks.</remarks>
internal sealed class NchwcConvOp : OperatorBase
{
    private readonly ConvPoolArgs _args;
    private readonly int _group;
    private readonly bool _relu, _fusedSum;
    private readonly int _biasIndex, _sumIndex, _blockOffset, _totalBlocks;
    private long[] _xDims = [], _wDims = [];
    private Conv.ConvShapes _shapes;
    private long[] _yDims = [];
    private ConvGeometry _geometry;

    public NchwcConvOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        _args = Conv.ParseArgs(def);
        _group = GetSingleArgument("group", 1);
        _relu = Conv.ParseActivation(def);
        _fusedSum = GetSingleArgument(NchwcOperators.FusedSumArg, 0) != 0;
        int inputs = def.Input.Count;
        _sumIndex = _fusedSum ? inputs - 1 : -1;
        _biasIndex = inputs - (_fusedSum ? 1 : 0) > 2 ? 2 : -1;
        if (_fusedSum && inputs < 3) throw Error($"argument '{NchwcOperators.FusedSumArg}' = 1 needs a sum input after X and the filter; there are {inputs} inputs.");
        _totalBlocks = GetSingleArgument(NchwcOperators.OutputBlocksArg, 0);
        _blockOffset = GetSingleArgument(NchwcOperators.OutputBlockOffsetArg, 0);
        if (_totalBlocks < 0 || _blockOffset < 0 || (_totalBlocks > 0 && _fusedSum))
            throw Error($"arguments '{NchwcOperators.OutputBlocksArg}' = {_totalBlocks} and '{NchwcOperators.OutputBlockOffsetArg}' = {_blockOffset} must not be negative, and not go with a fused sum.");
    }

    public override void Run()
    {
        var x = Input(0);
        var w = Input(1);
        for (int i = 0; i < InputSize; i++)
        {
            if (Input(i).DataType != DataType.Float) throw Error($"input {i} '{Def.Input[i]}' must be FLOAT; it is {Input(i).Describe()}.");
            if (i != _sumIndex && IsInPlace(i, 0)) throw Error($"the output may not be input {i} '{Def.Input[i]}': NchwcConv runs in place only on its sum input.");
        }
        if (!x.Dims.SequenceEqual(_xDims) || !w.Dims.SequenceEqual(_wDims))
        {
            _shapes = NchwcOperators.NchwcConvShapes(Def, x.Shape, w.Shape, _biasIndex >= 0 ? Input(_biasIndex).Shape : null);
            var o = _shapes.OutputDims;
            _yDims = NchwcOperators.Blocked(o[0], o[1], o[2], o[3]);
            if (_totalBlocks > 0)
            {
                if (_blockOffset + _yDims[1] > _totalBlocks)
                    throw Error($"its {_yDims[1]} output blocks from block {_blockOffset} do not fit in the {_totalBlocks} blocks of '{Def.Output[0]}'.");
                _yDims[1] = _totalBlocks;
            }
            if (x.Size > int.MaxValue || w.Size > int.MaxValue || _yDims.Aggregate(1L, (a, b) => a * b) > int.MaxValue)
                throw Error($"X {x.Describe()} and filter {w.Describe()} are too large for this implementation.");
            var sh = _shapes.Spatial[0];
            var sw = _shapes.Spatial[1];
            var logical = NchwcOperators.Logical(x.Shape);
            var g = new ConvGeometry((int)logical[1], sh.In, sw.In, (int)w.Dims[0], _group, sh.Kernel, sw.Kernel, sh.Stride, sw.Stride,
                sh.PadBegin, sw.PadBegin, sh.Dilation, sw.Dilation, sh.Out, sw.Out);
            if (!Kernels.Nchwc.TryGetKind(in g, out var kind) || (kind == NchwcConvKind.NchwInput) != (x.Rank == 4) || g.M % Kernels.Nchwc.BlockSize != 0)
                throw Error($"X {x.Describe()} with packed filter {w.Describe()} and group {_group} has no NCHWc kernel for this input layout (the packed filters count whole blocks of {Kernels.Nchwc.BlockSize}).");
            _geometry = g;
            (_xDims, _wDims) = (x.Shape, w.Shape);
        }
        var y = Output(0);
        ReadOnlySpan<float> sum = default;
        if (_fusedSum)
        {
            var s = Input(_sumIndex);
            if (!s.Dims.SequenceEqual(_yDims))
                throw Error($"sum input '{Def.Input[_sumIndex]}' is {s.Describe()}; it must have the output's shape [{string.Join(", ", _yDims)}].");
            if (!IsInPlace(_sumIndex, 0)) sum = s.Data<float>();
        }
        y.Resize(DataType.Float, _yDims);
        // In place on the sum: the kernel adds y's own values (y and sum are the same memory).
        if (_fusedSum && IsInPlace(_sumIndex, 0)) sum = y.Data<float>();
        var bias = _biasIndex >= 0 ? Input(_biasIndex).Data<float>() : default;
        // With output_blocks, Y is the whole Concat (same dims for every writer, so its storage and
        // the other writers' blocks stay) and this op writes only its own blocks.
        int total = _totalBlocks > 0 ? _totalBlocks : (int)_yDims[1];
        Kernels.Nchwc.Convolution(in _geometry, (int)x.Dims[0], w.Data<float>(), x.Data<float>(), bias, sum, _relu, y.Data<float>(), _blockOffset, total, Pool, MaxDegreeOfParallelism);
    }
}

/// <summary>NchwcMaxPool(X) -&gt; Y and NchwcAveragePool(X) -&gt; Y.</summary>
internal sealed class NchwcPoolOp : OperatorBase
{
    private readonly ConvPoolArgs _args;
    private readonly bool _average, _countIncludePad;
    private readonly SpatialDim[] _spatial = new SpatialDim[2];
    private readonly long[] _logical = new long[4], _out = new long[5];

    public NchwcPoolOp(OperatorDef def, Workspace ws, bool average) : base(def, ws)
    {
        _average = average;
        _args = ConvPoolArgs.Parse(def, pooling: true);
        _countIncludePad = average && GetSingleArgument("count_include_pad", 0) != 0;
    }

    public override void Run()
    {
        var x = Input(0);
        var d = x.Dims;
        if (x.DataType != DataType.Float || d.Length != 5 || d[4] != Kernels.Nchwc.BlockSize)
            throw Error($"input '{Def.Input[0]}' is {x.Describe()}; it must be FLOAT blocked [N, C/16, H, W, {Kernels.Nchwc.BlockSize}].");
        if (IsInPlace(0, 0)) throw Error($"the output may not be the input '{Def.Input[0]}'.");
        _logical[0] = d[0]; _logical[1] = d[1] * d[4]; _logical[2] = d[2]; _logical[3] = d[3];
        _args.Resolve(_logical, _spatial, Def.Input[0]);
        var h = _spatial[0];
        var w = _spatial[1];
        // The layout pass leaves dilated pools in NCHW; the blocked kernels have no dilation.
        if (h.Dilation != 1 || w.Dilation != 1) throw Error($"dilation [{h.Dilation}, {w.Dilation}] is not supported on blocked tensors; only MaxPool and AveragePool take it.");
        var g = new PoolGeometry2D(h.In, w.In, h.Out, w.Out, h.Kernel, w.Kernel, h.Stride, w.Stride, h.PadBegin, w.PadBegin);
        _out[0] = d[0]; _out[1] = d[1]; _out[2] = h.Out; _out[3] = w.Out; _out[4] = d[4];
        var y = Output(0);
        y.Resize(DataType.Float, _out);
        if (x.Size > int.MaxValue || y.Size > int.MaxValue) throw Error($"input '{Def.Input[0]}' {x.Describe()} is too large.");
        int channels = (int)(d[1] * d[4]);
        if (_average) Kernels.Nchwc.AveragePool(x.Data<float>(), y.Data<float>(), (int)d[0], channels, g, _countIncludePad, Pool, MaxDegreeOfParallelism);
        else Kernels.Nchwc.MaxPool(x.Data<float>(), y.Data<float>(), (int)d[0], channels, g, Pool, MaxDegreeOfParallelism);
    }
}
