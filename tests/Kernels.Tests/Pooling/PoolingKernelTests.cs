using Caffe2Sharp.Kernels;

namespace Caffe2Sharp.Kernels.Tests.Pooling;

using Nchwc = Caffe2Sharp.Kernels.Nchwc;

public class PoolingKernelTests
{
    private static readonly float PayloadA = BitConverter.Int32BitsToSingle(0x7FC01234);
    private static readonly float PayloadB = BitConverter.Int32BitsToSingle(0x7FC00077);

    // Which payload an add of two NaNs keeps depends on the operand order the JIT picks, so an
    // average over NaNs must come out as the canonical NaN, whatever the payloads and the path.
    [Fact]
    public void AveragePool_OfNaNsWithPayloads_IsTheCanonicalNaN()
    {
        var g = new PoolGeometry2D(2, 2, 1, 1, 2, 2, 1, 1, 0, 0);
        var y = new float[1];
        PoolingKernels.AveragePool2D<float>([1f, PayloadA, PayloadB, 4f], y, 1, g, countIncludePad: false, ComputePool.Serial);
        Assert.Equal(BitConverter.SingleToInt32Bits(float.NaN), BitConverter.SingleToInt32Bits(y[0]));

        var yd = new double[1];
        double da = BitConverter.Int64BitsToDouble(0x7FF8000000001234), db = BitConverter.Int64BitsToDouble(0x7FF8000000000077);
        PoolingKernels.AveragePool2D<double>([da, 2, 3, db], yd, 1, g, countIncludePad: true, ComputePool.Serial);
        Assert.Equal(BitConverter.DoubleToInt64Bits(double.NaN), BitConverter.DoubleToInt64Bits(yd[0]));

        // NCHWc: one block of 16 channels, every lane a window with two payload NaNs.
        var xb = new float[4 * Nchwc.BlockSize];
        for (int c = 0; c < Nchwc.BlockSize; c++)
        {
            xb[0 * Nchwc.BlockSize + c] = c;
            xb[1 * Nchwc.BlockSize + c] = PayloadA;
            xb[2 * Nchwc.BlockSize + c] = PayloadB;
            xb[3 * Nchwc.BlockSize + c] = -c;
        }
        var yb = new float[Nchwc.BlockSize];
        Nchwc.AveragePool(xb, yb, 1, Nchwc.BlockSize, g, countIncludePad: false, ComputePool.Serial);
        foreach (var v in yb) Assert.Equal(BitConverter.SingleToInt32Bits(float.NaN), BitConverter.SingleToInt32Bits(v));
    }
}
