// TEMPORARY scaffold of the NCHWc API for the graph work (replaced by the real kernels at merge).
#pragma warning disable CS1591
namespace Caffe2Sharp.Kernels;

public enum NchwcConvKind { Direct, NchwInput, Depthwise }

public sealed class NchwcFilter
{
    internal NchwcFilter(ConvGeometry g, NchwcConvKind kind, float[] w) { Geometry = g; Kind = kind; W = w; }
    public ConvGeometry Geometry { get; }
    public NchwcConvKind Kind { get; }
    internal float[] W { get; }
}

public static class Nchwc
{
    public const int BlockSize = 16;
    public static int PaddedChannels(int channels) => (channels + 15) / 16 * 16;

    public static bool TryGetKind(in ConvGeometry g, out NchwcConvKind kind)
    {
        kind = default;
        int cg = g.C / g.Group, mg = g.M / g.Group;
        if (g.Group == g.C && g.Group == g.M && g.C % 16 == 0) { kind = NchwcConvKind.Depthwise; return true; }
        if (cg % 16 == 0 && (g.Group == 1 || mg % 16 == 0)) { kind = NchwcConvKind.Direct; return true; }
        if (g.Group == 1 && g.C < 16) { kind = NchwcConvKind.NchwInput; return true; }
        return false;
    }

    public static void ReorderInput(ReadOnlySpan<float> x, int batch, int channels, int height, int width, Span<float> y, ComputePool pool, int maxDegree = int.MaxValue)
    {
        int cp = PaddedChannels(channels), plane = height * width;
        y[..(batch * cp * plane)].Clear();
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < plane; p++)
                    y[((n * (cp / 16) + c / 16) * plane + p) * 16 + c % 16] = x[(n * channels + c) * plane + p];
    }

    public static void ReorderOutput(ReadOnlySpan<float> x, int batch, int channels, int height, int width, Span<float> y, ComputePool pool, int maxDegree = int.MaxValue)
    {
        int cp = PaddedChannels(channels), plane = height * width;
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < plane; p++)
                    y[(n * channels + c) * plane + p] = x[((n * (cp / 16) + c / 16) * plane + p) * 16 + c % 16];
    }

    public static NchwcFilter PackFilter(in ConvGeometry g, ReadOnlySpan<float> w)
    {
        if (!TryGetKind(g, out var kind)) throw new ArgumentException($"no NCHWc kernel for {g}");
        return new NchwcFilter(g, kind, w.ToArray());
    }

    public static void Convolution(in ConvGeometry g, int batch, NchwcFilter filter, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, ReadOnlySpan<float> sum, bool relu, Span<float> y, ComputePool pool, int maxDegree = int.MaxValue)
    {
        var xn = new float[batch * g.C * g.H * g.W];
        if (filter.Kind == NchwcConvKind.NchwInput) x[..xn.Length].CopyTo(xn);
        else ReorderOutput(x, batch, g.C, g.H, g.W, xn, pool);
        var yn = new float[batch * g.M * g.OH * g.OW];
        Caffe2Sharp.Kernels.Convolution.Forward(g, batch, xn, filter.W, bias, false, yn, pool, maxDegree);
        var yc = new float[batch * PaddedChannels(g.M) * g.OH * g.OW];
        ReorderInput(yn, batch, g.M, g.OH, g.OW, yc, pool);
        for (int i = 0; i < yc.Length; i++)
        {
            float v = yc[i];
            if (!sum.IsEmpty) v += sum[i];
            if (relu && v < 0) v = 0;
            y[i] = v;
        }
    }

    public static void MaxPool(ReadOnlySpan<float> x, Span<float> y, int batch, int channels, PoolGeometry2D g, ComputePool pool, int maxDegree = int.MaxValue) =>
        Pool(x, y, batch, channels, g, false, false, pool);

    public static void AveragePool(ReadOnlySpan<float> x, Span<float> y, int batch, int channels, PoolGeometry2D g, bool countIncludePad, ComputePool pool, int maxDegree = int.MaxValue) =>
        Pool(x, y, batch, channels, g, true, countIncludePad, pool);

    private static void Pool(ReadOnlySpan<float> x, Span<float> y, int batch, int channels, PoolGeometry2D g, bool average, bool cip, ComputePool pool)
    {
        int cp = PaddedChannels(channels);
        var xn = new float[batch * cp * g.InH * g.InW];
        ReorderOutput(x, batch, cp, g.InH, g.InW, xn, pool);
        var yn = new float[batch * cp * g.OutH * g.OutW];
        if (average) PoolingKernels.AveragePool2D<float>(xn, yn, batch * cp, g, cip, pool);
        else PoolingKernels.MaxPool2D<float>(xn, yn, batch * cp, g, pool);
        ReorderInput(yn, batch, cp, g.OutH, g.OutW, y, pool);
    }
}
