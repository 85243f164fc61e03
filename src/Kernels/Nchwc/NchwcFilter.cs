// Hand-written.
using System.Runtime.CompilerServices;

namespace Caffe2Sharp.Kernels;

/// <summary>Which NCHWc convolution kernel a geometry takes (see <see cref="Nchwc.TryGetKind"/>).</summary>
public enum NchwcConvKind
{
    /// <summary>
    /// Input NCHWc, <c>C / Group</c> a multiple of 16, and <c>Group == 1</c> or <c>(M / Group)</c> a
    /// multiple of 16. Any kernel, stride, padding and dilation; an unpadded stride-1 1x1 kernel
    /// takes a pointwise path (the plane read as one long row).
    /// </summary>
    Direct,

    /// <summary><c>Group == 1</c> and <c>C &lt; 16</c> (an image stem): input plain NCHW, output NCHWc.</summary>
    NchwInput,

    /// <summary><c>Group == C == M</c>, C a multiple of 16: one filter per channel, input NCHWc.</summary>
    Depthwise,
}

/// <summary>
/// Filters packed once for one geometry's NCHWc kernel (<see cref="Nchwc.PackFilter(in ConvGeometry, ReadOnlySpan{float})"/>):
/// immutable and safe to share between threads; the storage is 64-byte aligned.
/// </summary>
/// <remarks>
/// Direct and NCHW-input: per group, output blocks of 16 channels taken 4 at a time (the last
/// group of blocks may hold fewer, nb), each set stored <c>[C/Group][KH][KW][nb * 16]</c>, so the
/// micro-kernel reads the filter vectors of its (up to) 4 blocks for one (channel, tap) from one
/// 64-float run and walks the runs in the GEMM's k order (channel, ky, kx). Padded output
/// channels (M not a multiple of 16) hold zeros. Depthwise: <c>[C/16][KH][KW][16]</c>.
/// </remarks>
public sealed unsafe class NchwcFilter
{
    private readonly float[] _storage; // pinned: the aligned pointer stays valid for the object's life
    private readonly int _offset;

    internal NchwcFilter(in ConvGeometry geometry, NchwcConvKind kind, long length)
    {
        Geometry = geometry;
        Kind = kind;
        if (length + 16 > Array.MaxLength) throw new ArgumentException($"The packed filters of {geometry} would need {length} floats.", nameof(geometry));
        _storage = GC.AllocateArray<float>((int)length + 16, pinned: true);
        nint p = (nint)Unsafe.AsPointer(ref _storage[0]);
        _offset = (int)(((p + 63) & ~(nint)63) - p) / sizeof(float);
        Length = length;
    }

    /// <summary>The geometry the filters were packed for.</summary>
    public ConvGeometry Geometry { get; }

    /// <summary>The kernel the geometry takes.</summary>
    public NchwcConvKind Kind { get; }

    internal long Length { get; }

    // The packed floats (pinned array, so the address is stable while this object lives).
    internal float* Data => (float*)Unsafe.AsPointer(ref _storage[_offset]);
}
