using Caffe2Sharp.Tests;
using Caffe2Sharp.Operators.Vision;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Operators.Tests.Vision;

/// <summary>
/// Resize and UpsampleBilinear on the harness against plain references written here: Resize
/// against ONNX's reference algorithm (per output element, per axis, the n input cells nearest
/// the source coordinate in the edge-padded input, weights from the kernel, the tensor product of
/// the axes' weights summed in double); UpsampleBilinear against Caffe2's loop.
/// </summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class ResizeTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(Resize.Register).Add(ResizeNearest.Register);

    private sealed record Rules(string Mode = "nearest", string Coordinates = "half_pixel", string Nearest = "round_prefer_floor",
        float A = -0.75f, bool ExcludeOutside = false, bool Antialias = false, float Extrapolation = 0f);

    // ---- the reference: ONNX's algorithm, one output element at a time ------------------------

    private static float Source(int o, int inLen, int outLen, float scale, string mode, float roiStart, float roiEnd)
    {
        float x = o, length = inLen, resized = outLen;
        switch (mode)
        {
            case "half_pixel": return (x + 0.5f) / scale - 0.5f;
            case "pytorch_half_pixel": return outLen > 1 ? (x + 0.5f) / scale - 0.5f : 0f;
            case "align_corners": return outLen == 1 ? 0f : x * (length - 1) / (resized - 1);
            case "asymmetric": return x / scale;
            case "half_pixel_symmetric":
                float adjustment = resized / (scale * length), center = length / 2;
                return center * (1 - adjustment) + (x + 0.5f) / scale - 0.5f;
            case "tf_crop_and_resize":
                return outLen > 1 ? roiStart * (length - 1) + x * (roiEnd - roiStart) * (length - 1) / (resized - 1) : 0.5f * (roiStart + roiEnd) * (length - 1);
            default: throw new ArgumentException(mode);
        }
    }

    private static double CubicKernel(double t, double a)
    {
        t = Math.Abs(t);
        return t <= 1 ? (a + 2) * t * t * t - (a + 3) * t * t + 1 : t < 2 ? a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a : 0;
    }

    // The (cell, weight) pairs of one axis, or null when the position is outside (tf_crop_and_resize).
    private static List<(int Cell, double Weight)>? Taps(int o, int inLen, int outLen, float scale, Rules r, float roiStart, float roiEnd)
    {
        double x = Source(o, inLen, outLen, scale, r.Coordinates, roiStart, roiEnd);
        if (r.Coordinates == "tf_crop_and_resize" && (x < 0 || x > inLen - 1)) return null;
        if (r.Mode == "nearest")
        {
            double f = Math.Floor(x);
            double cell = r.Nearest switch
            {
                "floor" => f,
                "ceil" => Math.Ceiling(x),
                "round_prefer_floor" => x - f == 0.5 ? f : Math.Round(x, MidpointRounding.AwayFromZero),
                _ => x - f == 0.5 ? f + 1 : Math.Round(x, MidpointRounding.AwayFromZero),
            };
            return [((int)Math.Clamp(cell, 0, inLen - 1), 1.0)];
        }
        // ratio in (0, 1]: a coordinate on a cell counts from the cell below.
        double ratio = x == Math.Floor(x) ? 1 : x - Math.Floor(x);
        double s = r.Antialias ? Math.Min(scale, 1.0) : 1.0;
        double[] coeffs;
        if (r.Mode == "linear")
        {
            int start = (int)Math.Floor(-1 / s) + 1, footprint = 2 - 2 * start;
            coeffs = [.. Enumerable.Range(start, footprint).Select(i => Math.Clamp(1 - Math.Abs((i - ratio) * s), 0, 1))];
        }
        else
        {
            int start = (int)Math.Floor(-2 / s) + 1, end = 2 - start;
            coeffs = [.. Enumerable.Range(start, end - start).Select(i => CubicKernel(s * (i - ratio), r.A))];
        }
        if (r.Antialias) coeffs = [.. coeffs.Select(c => c / coeffs.Sum())];
        int n = coeffs.Length;
        // The n cells nearest x (ties to the lower cell), in order, in the input padded by its edges.
        int pad = (n + 1) / 2;
        var cells = Enumerable.Range(-pad, inLen + 2 * pad).OrderBy(i => Math.Abs(x - i)).ThenBy(i => i).Take(n).Order().ToArray();
        if (r.ExcludeOutside)
        {
            for (int k = 0; k < n; k++)
                if (cells[k] < 0 || cells[k] >= inLen) coeffs[k] = 0;
            double sum = coeffs.Sum();
            coeffs = [.. coeffs.Select(c => c / sum)];
        }
        return [.. cells.Select((c, k) => (Math.Clamp(c, 0, inLen - 1), coeffs[k]))];
    }

    private static double[] Reference(double[] x, long[] dims, long[] outDims, float[] scales, Rules r, float[]? roi = null)
    {
        int rank = dims.Length;
        var y = new double[outDims.Aggregate(1L, (a, b) => a * b)];
        var taps = new List<(int, double)>?[rank][];
        for (int d = 0; d < rank; d++)
        {
            taps[d] = new List<(int, double)>?[outDims[d]];
            for (int o = 0; o < outDims[d]; o++)
                taps[d][o] = dims[d] == outDims[d] && scales[d] == 1 && roi is null ? [(o, 1.0)]
                    : Taps(o, (int)dims[d], (int)outDims[d], scales[d], r, roi?[d] ?? 0, roi?[rank + d] ?? 1);
        }
        var index = new int[rank];
        for (long k = 0; k < y.Length; k++)
        {
            long rest = k;
            for (int d = rank - 1; d >= 0; d--) { index[d] = (int)(rest % outDims[d]); rest /= outDims[d]; }
            var axes = Enumerable.Range(0, rank).Select(d => taps[d][index[d]]).ToArray();
            if (axes.Any(a => a is null)) { y[k] = r.Extrapolation; continue; }
            double sum = 0;
            void Walk(int d, long offset, double weight)
            {
                if (d == rank) { sum += weight * x[offset]; return; }
                foreach (var (cell, w) in axes[d]!) Walk(d + 1, offset * dims[d] + cell, weight * w);
            }
            Walk(0, 0, 1);
            y[k] = sum;
        }
        return y;
    }

    private static double[] Ramp(long n, int seed) =>
        [.. Enumerable.Range(0, (int)n).Select(i => Math.Round(Math.Sin(i * 0.7 + seed) * 100) / 16)];

    private static OperatorTester Tester(Rules r, float[] scales) =>
        new OperatorTester(Catalog, "Resize").Args("scales", scales).Arg("mode", r.Mode).Arg("coordinate_transformation_mode", r.Coordinates)
            .Arg("nearest_mode", r.Nearest).Arg("cubic_coeff_a", r.A).Arg("exclude_outside", r.ExcludeOutside ? 1 : 0)
            .Arg("antialias", r.Antialias ? 1 : 0).Arg("extrapolation_value", r.Extrapolation);

    public static TheoryData<string, string, string> Modes()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var c in new[] { "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "half_pixel_symmetric" })
        {
            data.Add("linear", c, "round_prefer_floor");
            data.Add("cubic", c, "round_prefer_floor");
            foreach (var n in new[] { "round_prefer_floor", "round_prefer_ceil", "floor", "ceil" }) data.Add("nearest", c, n);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void FourD_MatchesOnnxsReferenceAlgorithm(string mode, string coordinates, string nearest)
    {
        var r = new Rules(mode, coordinates, nearest);
        long[] dims = [2, 3, 5, 6];
        foreach (var scales in new[] { new[] { 1f, 1f, 2f, 0.5f }, [1f, 1f, 0.7f, 1.9f], [1f, 1f, 3f, 3f] })
        {
            long[] outDims = [.. dims.Select((d, i) => (long)(d * scales[i]))];
            var x = Ramp(180, 1);
            var expected = Reference(x, dims, outDims, scales, r);
            var t = Tester(r, scales).Input("X", x.Select(v => (float)v).ToArray(), dims)
                .Output("Y", expected.Select(v => (float)v).ToArray(), outDims);
            (mode == "nearest" ? t.Exact() : t.Tolerance(1e-5, 1e-6)).Run();
        }
    }

    [Theory]
    [InlineData("linear", false, true)]
    [InlineData("cubic", false, true)]
    [InlineData("cubic", true, false)]
    [InlineData("linear", true, true)]
    [InlineData("cubic", true, true)]
    public void DownSampling_WithAntialiasOrExcludeOutside_MatchesTheReference(string mode, bool excludeOutside, bool antialias)
    {
        var r = new Rules(mode, ExcludeOutside: excludeOutside, Antialias: antialias, A: -0.5f);
        long[] dims = [1, 2, 9, 13];
        float[] scales = [1f, 1f, 0.4f, 0.3f];
        long[] outDims = [1, 2, 3, 3];
        var x = Ramp(234, 2);
        Tester(r, scales).Input("X", x, dims).Output("Y", Reference(x, dims, outDims, scales, r), outDims).Tolerance(1e-12, 1e-12).Run();
    }

    [Fact]
    public void AnyRank_AndAnyAxis_Resizes_InDouble()
    {
        // 5-D trilinear over the last three axes, and a 3-D cubic resize of the middle axis.
        var r = new Rules("linear", "align_corners");
        long[] dims = [1, 2, 3, 4, 5];
        float[] scales = [1f, 1f, 2f, 1.5f, 0.8f];
        long[] outDims = [1, 2, 6, 6, 4];
        var x = Ramp(120, 3);
        Tester(r, scales).Input("X", x, dims).Output("Y", Reference(x, dims, outDims, scales, r), outDims).Tolerance(1e-12, 1e-12).Run();

        var cubic = new Rules("cubic");
        long[] d3 = [2, 7, 3];
        var x3 = Ramp(42, 4);
        Tester(cubic, [1f, 1.7f, 1f]).Input("X", x3, d3).Output("Y", Reference(x3, d3, [2, 11, 3], [1f, 1.7f, 1f], cubic), 2, 11, 3).Tolerance(1e-12, 1e-12).Run();
    }

    [Fact]
    public void Nearest_MovesAnyElementType_BitForBit()
    {
        var r = new Rules("nearest", "asymmetric", "floor");
        long[] dims = [2, 3, 4];
        float[] scales = [1f, 1.5f, 0.5f];
        long[] outDims = [2, 4, 2];
        var expected = Reference([.. Enumerable.Range(0, 24).Select(i => (double)i)], dims, outDims, scales, r);
        Tester(r, scales).Input("X", Enumerable.Range(0, 24).ToArray(), dims).Output("Y", expected.Select(v => (int)v).ToArray(), outDims).Run();
        Tester(r, scales).Input("X", Enumerable.Range(0, 24).Select(i => (long)i << 40).ToArray(), dims).Output("Y", expected.Select(v => (long)v << 40).ToArray(), outDims).Run();
        Tester(r, scales).Input("X", Enumerable.Range(0, 24).Select(i => (byte)i).ToArray(), dims).Output("Y", expected.Select(v => (byte)v).ToArray(), outDims).Run();
        Tester(r, scales).Input("X", Enumerable.Range(0, 24).Select(i => i % 3 == 0).ToArray(), dims).Output("Y", expected.Select(v => (int)v % 3 == 0).ToArray(), outDims).Run();
    }

    [Theory]
    [InlineData("nearest")]
    [InlineData("linear")]
    [InlineData("cubic")]
    public void TfCropAndResize_ExtrapolatesOutsideTheInput(string mode)
    {
        var r = new Rules(mode, "tf_crop_and_resize", Extrapolation: -9f);
        long[] dims = [1, 1, 4, 6];
        float[] roi = [0f, 0f, 0.1f, -0.25f, 1f, 1f, 0.8f, 1.15f];
        long[] outDims = [1, 1, 3, 5];
        var x = Ramp(24, 5);
        var expected = Reference(x, dims, outDims, [1f, 1f, 0.75f, 5f / 6], r, roi);
        Assert.Contains(-9.0, expected); // the roi does reach outside
        new OperatorTester(Catalog, "Resize").Args("sizes", outDims).Args("roi", roi).Arg("mode", mode).Arg("coordinate_transformation_mode", "tf_crop_and_resize")
            .Arg("extrapolation_value", -9f).Input("X", x, dims).Output("Y", expected, outDims).Tolerance(1e-12, 1e-12).Run();
    }

    [Fact]
    public void ACellOnTheGrid_IsCopied_AndANaNNeighbourWithNoWeightDoesNotLeak()
    {
        // 2x linear with align_corners on 3 -> 5: outputs 0, 2, 4 fall on cells 0, 1, 2; output 1
        // and 3 are half-way. A NaN in cell 2 reaches only the outputs that weigh it.
        float[] x = [1f, 2f, float.NaN];
        var y = new OperatorTester(Catalog, "Resize").Args("scales", new[] { 5f / 3 }).Arg("mode", "linear").Arg("coordinate_transformation_mode", "align_corners")
            .Input("X", x, 3).Output("Y", new[] { 1f, 1.5f, 2f, float.NaN, float.NaN }, 5);
        y.Run();
    }

    [Theory]
    [InlineData("not_larger", 4L, 6L)]
    [InlineData("not_smaller", 6L, 9L)]
    [InlineData("stretch", 4L, 9L)]
    public void Sizes_FollowTheKeepAspectRatioPolicy(string policy, long h, long w)
    {
        // [4, 6] to sizes [4, 9]: not_larger scales by min(1, 1.5) = 1, not_smaller by 1.5.
        var def = OperatorDef.Create("Resize", "", ["X"], ["Y"]).SetRepeatedArgument("sizes", [4L, 9L]).SetRepeatedArgument("axes", [2L, 3L])
            .SetArgument("keep_aspect_ratio_policy", policy);
        var schema = Catalog.Schemas.Find("Resize")!;
        Assert.Equal($"FLOAT[1, 2, {h}, {w}]", schema.InferTensor(def, [TensorShape.Create([1, 2, 4, 6])]).Single().Describe());
        var ws = new Workspace(Catalog);
        ws.FeedBlob<float>("X", new float[48], 1, 2, 4, 6);
        ws.RunOperatorOnce(def);
        Assert.Equal($"FLOAT[1, 2, {h}, {w}]", ws.FetchBlob("Y").Describe());
    }

    [Fact]
    public void SteadyState_AllocatesNothing()
    {
        // Two threads with a tiny threshold, so the rows are split; every path of the kernels:
        // the fused H-and-W rows, a general pass over another axis, a gather, a dynamic target.
        using var pool = new Caffe2Sharp.Kernels.ComputePool(new Caffe2Sharp.Kernels.ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 64 });
        var ws = new Workspace(new OperatorCatalog().Add(Resize.Register), pool);
        ws.FeedBlob<float>("X", Ramp(2 * 8 * 16 * 16, 7).Select(v => (float)v).ToArray(), 2, 8, 16, 16);
        ws.FeedBlob<long>("Z", [2L, 8L, 20L, 40L], 4);
        var net = new NetDef { Name = "n" };
        net.Op.Add(OperatorDef.Create("Resize", "", ["X"], ["L"]).SetRepeatedArgument("scales", new[] { 1f, 1f, 2f, 0.5f }).SetArgument("mode", "linear"));
        net.Op.Add(OperatorDef.Create("Resize", "", ["X"], ["C"]).SetRepeatedArgument("scales", new[] { 1f, 1.5f, 1.5f, 1.5f }).SetArgument("mode", "cubic"));
        net.Op.Add(OperatorDef.Create("Resize", "", ["X"], ["N"]).SetRepeatedArgument("scales", new[] { 1f, 1f, 2f, 2f }));
        net.Op.Add(OperatorDef.Create("Resize", "", ["X", "Z"], ["D"]).SetArgument("mode", "linear"));
        net.Op.Add(OperatorDef.Create("UpsampleBilinear", "", ["X"], ["U"]).SetArgument("height_scale", 2f).SetArgument("width_scale", 2f));
        ws.CreateNet(net);
        ws.RunNet("n");
        ws.RunNet("n");
        SteadyState.AllocatesNothing(() => ws.RunNet("n"), runs: 20);
    }

    [Fact]
    public void OutsidePositions_AreTheExtrapolationValueExactly_OnEveryPath()
    {
        // Up-sampling H with a cubic W takes the W-first path, which combines rows that already
        // hold the value; +infinity there must stay +infinity (not NaN from inf * weights).
        var r = new Rules("cubic", "tf_crop_and_resize", Extrapolation: float.PositiveInfinity);
        long[] dims = [1, 1, 4, 4];
        float[] roi = [0f, 0f, 0f, -0.5f, 1f, 1f, 1f, 1.5f];
        long[] outDims = [1, 1, 7, 5];
        var x = Ramp(16, 8);
        var expected = Reference(x, dims, outDims, [1f, 1f, 7f / 4, 5f / 4], r, roi);
        Assert.Contains(double.PositiveInfinity, expected);
        foreach (bool single in new[] { true, false })
        {
            var t = new OperatorTester(Catalog, "Resize").Args("sizes", outDims).Args("roi", roi).Arg("mode", "cubic").Arg("coordinate_transformation_mode", "tf_crop_and_resize")
                .Arg("extrapolation_value", float.PositiveInfinity);
            if (single) t.Input("X", x.Select(v => (float)v).ToArray(), dims).Output("Y", expected.Select(v => (float)v).ToArray(), outDims).Tolerance(1e-5, 1e-5).Run();
            else t.Input("X", x, dims).Output("Y", expected, outDims).Tolerance(1e-12, 1e-12).Run();
        }
    }

    [Fact]
    public void TfCropAndResize_OnFloat16_WritesTheExtrapolationValue()
    {
        var ws = new Workspace(Catalog);
        ws.FeedBlob<Half>("X", [(Half)1, (Half)2, (Half)3, (Half)4], 1, 4);
        ws.RunOperatorOnce(OperatorDef.Create("Resize", "", ["X"], ["Y"]).SetRepeatedArgument("sizes", new[] { 1L, 3L })
            .SetRepeatedArgument("roi", new[] { 0f, -0.5f, 1f, 1.5f }).SetArgument("coordinate_transformation_mode", "tf_crop_and_resize").SetArgument("extrapolation_value", 9f));
        // Source coordinates -1.5, 1.5, 4.5: outside, cell 2 (round_prefer_floor of 1.5 is 1, cell 1 = 2), outside.
        Assert.Equal([(Half)9, (Half)2, (Half)9], ws.FetchBlob("Y").ToArray<Half>());
    }

    [Fact]
    public void KeepAspectRatio_WithASizeOfZero_GivesAnEmptyAxis()
    {
        var def = OperatorDef.Create("Resize", "", ["X"], ["Y"]).SetRepeatedArgument("sizes", [0L, 8L]).SetRepeatedArgument("axes", [2L, 3L])
            .SetArgument("keep_aspect_ratio_policy", "not_larger");
        Assert.Equal("FLOAT[1, 1, 0, 0]", Catalog.Schemas.Find("Resize")!.InferTensor(def, [TensorShape.Create([1, 1, 4, 4])]).Single().Describe());
    }

    [Fact]
    public void ResizeNearest_InPlace_IsAnError() =>
        // The schema refuses the pair before the op's own check (which guards direct use) is reached.
        new OperatorTester(Catalog, "ResizeNearest").Arg("height_scale", 2f).Input("X", new float[4], 1, 1, 2, 2).Output("X")
            .ExpectError("an in-place pair the schema does not allow").Run();

    [Fact]
    public void AnAxisResizedToNothing_GivesAnEmptyOutput()
    {
        // floor(2 * 0.3) = 0.
        new OperatorTester(Catalog, "Resize").Args("scales", 1f, 0.3f).Arg("mode", "linear").Input("X", new float[6], 3, 2).Output("Y", Array.Empty<float>(), 3, 0).Run();
        new OperatorTester(new OperatorCatalog().Add(Resize.Register), "UpsampleBilinear").Arg("width_scale", 0.3f)
            .Input("X", new float[4], 1, 1, 2, 2).Output("Y", Array.Empty<float>(), 1, 1, 2, 0).Run();
    }

    [Fact]
    public void ASecondInput_OfScalesOrSizes_OverridesTheArguments()
    {
        var ws = new Workspace(Catalog);
        ws.FeedBlob<float>("X", [1f, 2f, 3f, 4f], 1, 1, 2, 2);
        ws.FeedBlob<float>("S", [1f, 1f, 1f, 2f], 4);
        ws.FeedBlob<long>("Z", [1L, 1L, 1L, 3L], 4);
        ws.RunOperatorOnce(OperatorDef.Create("Resize", "", ["X", "S"], ["Y"]).SetRepeatedArgument("scales", new[] { 1f, 1f, 3f, 3f }).SetArgument("coordinate_transformation_mode", "asymmetric"));
        Assert.Equal("FLOAT[1, 1, 2, 4]", ws.FetchBlob("Y").Describe());
        Assert.Equal([1f, 1f, 2f, 2f, 3f, 3f, 4f, 4f], ws.FetchBlob("Y").ToArray<float>());
        ws.RunOperatorOnce(OperatorDef.Create("Resize", "", ["X", "Z"], ["Y"]));
        Assert.Equal("FLOAT[1, 1, 1, 3]", ws.FetchBlob("Y").Describe());
    }

    [Fact]
    public void Schema_InfersShapes_AndCosts()
    {
        var schema = Catalog.Schemas.Find("Resize")!;
        var def = OperatorDef.Create("Resize", "", ["X"], ["Y"]).SetRepeatedArgument("scales", new[] { 1f, 1f, 2f, 0.6f }).SetArgument("mode", "linear");
        Assert.Equal("FLOAT[1, 3, 10, 4]", schema.InferTensor(def, [TensorShape.Create([1, 3, 5, 7])]).Single().Describe());
        // Two resized axes, two taps each, a multiply and an add per tap.
        Assert.Equal(new Cost(120 * 2 * 2 * 2, 105 * 4, 120 * 4), schema.InferCost(def, [TensorShape.Create([1, 3, 5, 7])]));
        var dynamic = OperatorDef.Create("Resize", "", ["X", "S"], ["Y"]);
        Assert.True(schema.InferTensor(dynamic, [TensorShape.Create([1, 3, 5, 7]), TensorShape.Create([4])]).Single().UnknownShape);
    }

    public static TheoryData<string, object, string> BadArguments() => new()
    {
        { "mode", "area", "argument 'mode' = \"area\"" },
        { "coordinate_transformation_mode", "corners", "argument 'coordinate_transformation_mode'" },
        { "nearest_mode", "up", "argument 'nearest_mode'" },
        { "keep_aspect_ratio_policy", "fit", "argument 'keep_aspect_ratio_policy'" },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void ABadArgument_IsAnErrorNamingIt(string name, object value, string message) =>
        new OperatorTester(Catalog, "Resize").Args("scales", new[] { 2f }).Arg(name, (string)value).Input("X", new float[2], 2).Output("Y")
            .ExpectError(message).Run();

    [Fact]
    public void TargetErrors_NameWhatIsWrong()
    {
        new OperatorTester(Catalog, "Resize").Input("X", new float[2], 2).Output("Y").ExpectError("neither argument 'scales' nor 'sizes'").Run();
        new OperatorTester(Catalog, "Resize").Args("scales", new[] { 2f }).Args("sizes", new[] { 4L }).Input("X", new float[2], 2).Output("Y").ExpectError("both given").Run();
        new OperatorTester(Catalog, "Resize").Args("scales", new[] { 2f, 2f }).Input("X", new float[2], 2).Output("Y").ExpectError("'scales' has 2 values for 1 axes").Run();
        new OperatorTester(Catalog, "Resize").Args("scales", new[] { -2f }).Input("X", new float[2], 2).Output("Y").ExpectError("positive and finite").Run();
        new OperatorTester(Catalog, "Resize").Args("sizes", new[] { 3L }).Args("axes", new[] { 4L }).Input("X", new float[2], 2).Output("Y").ExpectError("argument 'axes' [4]: 4 is out of range for rank 1").Run();
        new OperatorTester(Catalog, "Resize").Args("sizes", new[] { 3L }).Arg("mode", "linear").Input("X", new[] { 1, 2 }, 2).Output("Y").ExpectError("must be FLOAT or DOUBLE for mode 'linear'").Run();
        new OperatorTester(Catalog, "Resize").Input("X", new float[2], 2).Input("S", new[] { 2 }, 1).Output("Y").ExpectError("input 1 'S' must be 1-D FLOAT scales or INT64 sizes").Run();
    }

    // Caffe2's UpsampleBilinear loop (upsample_op.cc), transcribed as the reference.
    private static float[] Caffe2Bilinear(float[] x, int planes, int h, int w, int oh, int ow)
    {
        var y = new float[planes * oh * ow];
        float rh = oh > 1 ? (float)(h - 1) / (oh - 1) : 0f, rw = ow > 1 ? (float)(w - 1) / (ow - 1) : 0f;
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < oh; i++)
            {
                float hr = rh * i;
                int h1 = (int)hr, h1p = h1 < h - 1 ? 1 : 0;
                float l1 = hr - h1, l0 = 1f - l1;
                for (int j = 0; j < ow; j++)
                {
                    float wr = rw * j;
                    int w1 = (int)wr, w1p = w1 < w - 1 ? 1 : 0;
                    float m1 = wr - w1, m0 = 1f - m1;
                    int b = p * h * w + h1 * w + w1;
                    y[(p * oh + i) * ow + j] = l0 * (m0 * x[b] + m1 * x[b + w1p]) + l1 * (m0 * x[b + h1p * w] + m1 * x[b + h1p * w + w1p]);
                }
            }
        return y;
    }

    [Theory]
    [InlineData(2f, 2f)]
    [InlineData(1.5f, 0.5f)]
    [InlineData(0.3f, 3.2f)]
    public void UpsampleBilinear_MatchesCaffe2sLoop(float hs, float ws)
    {
        var catalog = new OperatorCatalog().Add(Resize.Register);
        int h = 5, w = 6, oh = (int)(h * hs), ow = (int)(w * ws);
        var x = Ramp(2 * h * w, 6).Select(v => (float)v).ToArray();
        new OperatorTester(catalog, "UpsampleBilinear").Arg("height_scale", hs).Arg("width_scale", ws)
            .Input("X", x, 1, 2, h, w).Output("Y", Caffe2Bilinear(x, 2, h, w, oh, ow), 1, 2, oh, ow).Tolerance(1e-5, 1e-5).Run(); // Caffe2 sums in float, we in double; |x| is up to 6
    }

    [Fact]
    public void UpsampleBilinear_Errors_NameTheBlobOrArgument()
    {
        var catalog = new OperatorCatalog().Add(Resize.Register);
        new OperatorTester(catalog, "UpsampleBilinear").Arg("height_scale", 0f).Input("X", new float[4], 1, 1, 2, 2).Output("Y").ExpectError("argument 'height_scale'").Run();
        new OperatorTester(catalog, "UpsampleBilinear").Input("X", new float[4], 2, 2).Output("Y").ExpectError("input 'X' must be 4-D (NCHW)").Run();
        new OperatorTester(catalog, "UpsampleBilinear").Input("X", new int[4], 1, 1, 2, 2).Output("Y").ExpectError("must be FLOAT or DOUBLE").Run();
    }
}
