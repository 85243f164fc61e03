// Hand-written.
using System.Runtime.CompilerServices;

namespace Caffe2Sharp.Kernels;

/// <summary>
/// Per-thread scratch memory of the kernels: each tag type has its own buffers on each thread,
/// pinned, grown on demand and then kept, so a steady-state call allocates nothing. Kernels that
/// may hold two buffers at once use two tags.
/// </summary>
/// <typeparam name="TTag">A private marker type naming the buffer.</typeparam>
internal static unsafe class ThreadBuffer<TTag> where TTag : struct
{
    [ThreadStatic] private static float[]? t_floats;
    [ThreadStatic] private static int[]? t_ints;

    /// <summary>At least <paramref name="length"/> floats, 64-byte aligned (a zmm load never splits a cache line).</summary>
    /// <exception cref="ArgumentException">The length exceeds what one array can hold.</exception>
    public static float* Floats(long length)
    {
        if (length + 16 > Array.MaxLength) throw new ArgumentException($"A scratch buffer of {length} floats is too large for one array.", nameof(length));
        var buffer = t_floats;
        if (buffer is null || buffer.Length < length + 16) t_floats = buffer = GC.AllocateUninitializedArray<float>((int)Math.Max(length + 16, 1024), pinned: true);
        return (float*)(((nint)Unsafe.AsPointer(ref buffer[0]) + 63) & ~(nint)63);
    }

    /// <summary>At least <paramref name="length"/> ints.</summary>
    public static int* Ints(int length)
    {
        var buffer = t_ints;
        if (buffer is null || buffer.Length < length) t_ints = buffer = GC.AllocateUninitializedArray<int>(Math.Max(length, 256), pinned: true);
        return (int*)Unsafe.AsPointer(ref buffer[0]);
    }
}
