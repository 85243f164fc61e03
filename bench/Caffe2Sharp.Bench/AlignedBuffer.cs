// Hand-written.
namespace Caffe2Sharp.Bench;

/// <summary>
/// A float buffer whose first element sits on a 64-byte boundary, inside a pinned managed array.
/// </summary>
/// <remarks>
/// Every benchmark reads and writes buffers aligned like the runtime's <c>Tensor</c> storage, so a
/// kernel, a copy and ONNX Runtime see the same cache-line layout: with AVX-512 a misaligned
/// buffer splits every load across two lines and would make whoever got it look slower. The
/// array is pinned (allocated on the pinned object heap), so ONNX Runtime can be given its
/// address once, in setup, and nothing moves it afterwards.
/// </remarks>
internal sealed class AlignedBuffer
{
    private const int Alignment = 64;
    private readonly float[] _array;
    private readonly int _offset;

    public AlignedBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _array = GC.AllocateUninitializedArray<float>(length + Alignment / sizeof(float), pinned: true);
        unsafe
        {
            fixed (float* p = _array)
            {
                long misalignment = (long)p % Alignment;
                _offset = misalignment == 0 ? 0 : (int)((Alignment - misalignment) / sizeof(float));
            }
        }
        Span.Clear();
    }

    /// <summary>The number of floats.</summary>
    public int Length { get; }

    /// <summary>The aligned elements.</summary>
    public Span<float> Span => _array.AsSpan(_offset, Length);

    /// <summary>The aligned elements as memory (for ONNX Runtime's OrtValue).</summary>
    public Memory<float> Memory => _array.AsMemory(_offset, Length);

    /// <summary>A buffer holding <paramref name="length"/> fixed-seed values uniform in [-1, 1): about half negative.</summary>
    public static AlignedBuffer Random(int length, int seed)
    {
        var buffer = new AlignedBuffer(length);
        var rng = new Random(seed);
        var span = buffer.Span;
        for (int i = 0; i < span.Length; i++) span[i] = rng.NextSingle() * 2f - 1f;
        return buffer;
    }
}
