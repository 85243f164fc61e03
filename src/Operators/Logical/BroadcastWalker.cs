// Hand-written.
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Operators.Logical;

/// <summary>
/// Walks an output shape in row-major order and tracks, for each operand, the offset of the
/// element that numpy broadcasting pairs with the current output element (stride 0 along a dim
/// the operand has as 1, or lacks). The shape rule itself is <see cref="Broadcasting.TryBroadcast"/>;
/// this adds only the index walk that operators whose output type differs from their inputs'
/// (comparisons), or that have three operands (Where) or one (Expand, ReduceMean), need and the
/// same-type binary driver cannot give.
/// </summary>
/// <remarks>
/// Usage: <see cref="Reset(ReadOnlySpan{long})"/> with the output dims, <see cref="SetOperand"/>
/// for each operand, then runs of <see cref="InnerLength"/> output elements, each starting at
/// <see cref="Offset"/> and stepping by <see cref="InnerStride"/> per operand, with
/// <see cref="Advance"/> between runs. The arrays are kept between runs and only grow, so a
/// steady-state run allocates nothing.
/// </remarks>
internal sealed class BroadcastWalker(int operands)
{
    private readonly int _operands = operands;
    private long[] _dims = [];
    private long[] _strides = [];
    private readonly long[] _offsets = new long[operands];
    private long[] _index = [];
    private int _rank;

    /// <summary>The output dims given to <see cref="Reset(ReadOnlySpan{long})"/>.</summary>
    public ReadOnlySpan<long> Dims => _dims.AsSpan(0, _rank);

    /// <summary>The number of output elements (1 for rank 0).</summary>
    public long Size { get; private set; }

    /// <summary>The length of one innermost run (the last output dim; 1 for rank 0).</summary>
    public long InnerLength => _rank == 0 ? 1 : _dims[_rank - 1];

    /// <summary>Operand <paramref name="k"/>'s element offset at the start of the current run.</summary>
    public long Offset(int k) => _offsets[k];

    /// <summary>Operand <paramref name="k"/>'s step along the innermost dim (0 when broadcast).</summary>
    public long InnerStride(int k) => _rank == 0 ? 0 : _strides[k * _rank + _rank - 1];

    /// <summary>Starts a walk over <paramref name="outDims"/>; every operand reads element 0 until <see cref="SetOperand"/>.</summary>
    public void Reset(ReadOnlySpan<long> outDims)
    {
        _rank = outDims.Length;
        if (_dims.Length < _rank)
        {
            _dims = new long[_rank];
            _index = new long[_rank];
            _strides = new long[_rank * _operands];
        }
        outDims.CopyTo(_dims);
        long size = 1;
        foreach (var d in outDims) size *= d;
        Size = size;
        _strides.AsSpan(0, _rank * _operands).Clear();
        _index.AsSpan(0, _rank).Clear();
        _offsets.AsSpan().Clear();
    }

    /// <summary>
    /// Sets operand <paramref name="k"/>'s dims, which must broadcast to the output's (aligned at
    /// the end; each equal or 1). Its strides are row-major, 0 along broadcast dims.
    /// </summary>
    public void SetOperand(int k, ReadOnlySpan<long> dims)
    {
        if (dims.Length > _rank) throw new ArgumentException($"operand {k} has rank {dims.Length}, above the output's {_rank}.", nameof(dims));
        var strides = _strides.AsSpan(k * _rank, _rank);
        long stride = 1;
        for (int d = _rank - 1, s = dims.Length - 1; d >= 0; d--, s--)
        {
            long size = s >= 0 ? dims[s] : 1;
            if (size != 1 && size != _dims[d])
                throw new ArgumentException($"operand {k} dim {s} ({size}) does not broadcast to the output's dim {d} ({_dims[d]}).", nameof(dims));
            strides[d] = size == 1 ? 0 : stride;
            stride *= size;
        }
    }

    /// <summary>Moves to the next innermost run (an odometer over the outer output dims).</summary>
    public void Advance()
    {
        for (int d = _rank - 2; d >= 0; d--)
        {
            for (int k = 0; k < _operands; k++) _offsets[k] += _strides[k * _rank + d];
            if (++_index[d] < _dims[d]) return;
            for (int k = 0; k < _operands; k++) _offsets[k] -= _strides[k * _rank + d] * _dims[d];
            _index[d] = 0;
        }
    }

    /// <summary>
    /// The numpy broadcast of up to three shapes into <paramref name="result"/> (length
    /// <see cref="Broadcasting.MaxRank"/>); returns the rank, or -1 when they do not broadcast.
    /// </summary>
    public static int TryBroadcast(ReadOnlySpan<long> a, ReadOnlySpan<long> b, ReadOnlySpan<long> c, Span<long> result)
    {
        if (a.Length > Broadcasting.MaxRank || b.Length > Broadcasting.MaxRank || c.Length > Broadcasting.MaxRank) return -1;
        Span<long> ab = stackalloc long[Broadcasting.MaxRank];
        int rank = Broadcasting.TryBroadcast(a, b, ab);
        return rank < 0 ? -1 : Broadcasting.TryBroadcast(ab[..rank], c, result);
    }

    /// <summary>Formats dims as <c>[2, 3]</c> (errors only).</summary>
    public static string Text(ReadOnlySpan<long> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";
}
