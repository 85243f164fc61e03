using Caffe2Sharp.Tests;
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Runtime.Tests.Core;

public class TensorTests
{
    [Fact]
    public void From_CopiesDataAndShape()
    {
        var t = Tensor.From<float>([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal(DataType.Float, t.DataType);
        Assert.Equal([2L, 3L], t.Shape);
        Assert.Equal(6, t.Size);
        Assert.Equal(24, t.ByteLength);
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToArray<float>());
    }

    [Fact]
    public void From_WrongCount_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.From<float>([1, 2, 3], 2, 2));
        Assert.Contains("3 values do not fill a tensor of shape [2, 2]", e.Message);
    }

    [Fact]
    public void Scalar_HasSizeOne_EmptyDimHasSizeZero()
    {
        Assert.Equal(1, new Tensor(DataType.Int64).Size);
        Assert.Equal(0, new Tensor(DataType.Float, 3, 0).Size);
    }

    [Fact]
    public void Data_OfWrongType_Throws()
    {
        var t = new Tensor(DataType.Double, 2);
        var e = Assert.Throws<EnforceNotMetException>(() => t.Data<float>());
        Assert.Equal("Tensor holds DOUBLE, not Single.", e.Message);
    }

    [Fact]
    public void Resize_SameOrSmallerSize_KeepsStorage()
    {
        var t = new Tensor(DataType.Float, 100);
        t.Data<float>()[0] = 42;
        ref float first = ref t.Data<float>()[0];
        t.Resize(DataType.Float, 10, 10);
        Assert.True(System.Runtime.CompilerServices.Unsafe.AreSame(ref first, ref t.Data<float>()[0]));
        Assert.Equal(42, t.Data<float>()[0]);
        t.Resize(DataType.Float, 5);
        Assert.True(System.Runtime.CompilerServices.Unsafe.AreSame(ref first, ref t.Data<float>()[0]));
        t.Resize(DataType.Float, 1000);
        Assert.False(System.Runtime.CompilerServices.Unsafe.AreSame(ref first, ref t.Data<float>()[0]));
    }

    [Fact]
    public void Resize_SteadyState_DoesNotAllocate()
    {
        long[] dims = [64, 64];
        var t = new Tensor(DataType.Float, dims);
        t.Resize(DataType.Float, dims);
        SteadyState.AllocatesNothing(() => t.Resize(DataType.Float, dims), runs: 100);
    }

    [Fact]
    public unsafe void Storage_IsAlignedTo64Bytes()
    {
        foreach (var n in new[] { 1, 3, 17, 1000 })
        {
            var t = new Tensor(DataType.Float, n);
            fixed (float* p = t.Data<float>()) Assert.Equal(0, (long)p % 64);
        }
    }

    [Fact]
    public void NegativeDim_Throws()
    {
        Assert.Throws<EnforceNotMetException>(() => new Tensor(DataType.Float, 2, -1));
    }

    [Fact]
    public void TooLarge_Throws_InsteadOfOverflowing()
    {
        var e = Assert.Throws<EnforceNotMetException>(() => new Tensor(DataType.Float, 1L << 40, 1L << 40));
        Assert.Contains("too large", e.Message);
    }

    [Fact]
    public void EveryStoredType_MapsBothWays()
    {
        Assert.Equal(DataType.Float16, Tensor.DataTypeOf<Half>());
        Assert.Equal(DataType.Uint8, Tensor.DataTypeOf<byte>());
        Assert.True(Tensor.Matches<byte>(DataType.Byte));
        Assert.True(Tensor.Matches<bool>(DataType.Bool));
        Assert.False(Tensor.Matches<int>(DataType.Int64));
        var b = Tensor.From<bool>([true, false], 2);
        Assert.Equal(2, b.ByteLength);
    }

    [Fact]
    public void Strings_AreStored()
    {
        var t = Tensor.FromStrings(["a", "bc"], 2);
        Assert.Equal(DataType.String, t.DataType);
        Assert.Equal("bc", t.Strings()[1]);
        Assert.Throws<EnforceNotMetException>(() => t.Data<byte>());
        Assert.True(t.ContentEquals(t.Clone()));
    }

    [Fact]
    public void CopyFrom_And_Clone_AreDeep()
    {
        var a = Tensor.From<int>([1, 2], 2);
        var b = a.Clone();
        b.Data<int>()[0] = 9;
        Assert.Equal(1, a.Data<int>()[0]);
        Assert.False(a.ContentEquals(b));
    }

    [Fact]
    public void ToString_ShowsTypeShapeAndValues()
    {
        Assert.Equal("FLOAT[3] {1, 2.5, -0}", Tensor.From<float>([1, 2.5f, -0f], 3).ToString());
    }

    private static readonly long[] Dims4 = [2, 3, 4, 5], Dims1 = [4], Dims2 = [7, 1];

    [Fact]
    public void Resize_ToOtherRanksAndTypesWithinCapacity_AllocatesNothing()
    {
        // A buffer the memory planner shares between blobs changes rank and type from op to op.
        var t = new Tensor(DataType.Float, 2, 3, 4, 5);
        t.Resize(DataType.Int32, 6);
        Cycle(t); // first calls may allocate in the runtime (type loading), not in Resize
        SteadyState.AllocatesNothing(() => Cycle(t), runs: 10);
        Assert.Equal([7L, 1], t.Dims.ToArray());
        Assert.Equal(2, t.Rank);
        Assert.Equal([7L, 1], t.Shape);
        Assert.Equal("BOOL[7, 1]", t.Describe());

        // The dims are made once: a Debug build of this caller would allocate a params array per call.
        static void Cycle(Tensor t)
        {
            t.Resize(DataType.Float, Dims4);
            t.Resize(DataType.Int64, Dims1);
            t.Resize(DataType.Bool, Dims2);
        }
    }
}
