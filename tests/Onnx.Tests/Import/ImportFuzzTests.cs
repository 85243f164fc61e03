using Caffe2Sharp.Onnx.Import;
using Caffe2Sharp.Tests;

namespace Caffe2Sharp.Onnx.Tests.Import;

/// <summary>
/// Malformed models, made by mutating ONNX's own node-test models with a fixed seed (bytes flipped,
/// cut short, inserted, a run copied elsewhere): each either imports or fails with our error,
/// whose message starts with the file's path. Never another exception (a null reference, an index
/// out of range, a cast, a protobuf exception of its own), never a crash or a hang.
/// </summary>
public class ImportFuzzTests
{
    // One model per converter family: convolution and pooling, Gemm, reshapes, Resize and Upsample,
    // reductions, Softmax, Concat, ConvTranspose, Dropout, PRelu, Clip, BatchNorm, Flatten, broadcasting.
    private static readonly string[] Models =
    [
        "test_conv_with_strides_padding", "test_maxpool_2d_pads", "test_averagepool_2d_ceil", "test_gemm_default_single_elem_vector_bias",
        "test_reshape_reordered_all_dims", "test_resize_upsample_scales_nearest", "test_reduce_mean_default_axes_keepdims_example",
        "test_softmax_axis_1", "test_concat_2d_axis_0", "test_convtranspose_pads", "test_dropout_default_ratio", "test_prelu_broadcast",
        "test_clip_example", "test_batchnorm_example", "test_upsample_nearest", "test_flatten_axis0", "test_add_bcast",
    ];

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var m in Models) data.Add(m);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MutatedModels_ImportOrFailWithOurErrorNamingTheFile(string test)
    {
        string source = Path.Combine(TestData.OnnxNode, test, "model.onnx");
        Skip.IfNot(File.Exists(source), $"{source} is not in this copy of the node tests");
        var original = File.ReadAllBytes(source);
        string dir = Directory.CreateTempSubdirectory("c2s-fuzz").FullName;
        try
        {
            var random = new Random(test.GetHashCode(StringComparison.Ordinal) & 0x7fffffff ^ 20261129);
            int refused = 0;
            for (int k = 0; k < 100; k++)
            {
                var bytes = Mutate(original, random);
                string path = Path.Combine(dir, $"m{k}.onnx");
                File.WriteAllBytes(path, bytes);
                try
                {
                    OnnxImporter.Load(path);
                }
                catch (EnforceNotMetException e)
                {
                    Assert.True(e.Message.StartsWith(path, StringComparison.Ordinal), $"{test} mutation {k}: the error does not start with the file's path: {e.Message}");
                    refused++;
                }
                catch (Exception e)
                {
                    Assert.Fail($"{test} mutation {k}: {e.GetType().Name} instead of our error: {e.Message}\n{e.StackTrace}");
                }
            }
            Assert.True(refused > 0, $"{test}: no mutation was refused; the mutations do not reach the structure");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var b = new List<byte>(original);
        int edits = 1 + random.Next(3);
        for (int e = 0; e < edits && b.Count > 1; e++)
        {
            int at = random.Next(b.Count);
            switch (random.Next(5))
            {
                case 0: b[at] ^= (byte)(1 << random.Next(8)); break;                       // flip a bit
                case 1: b[at] = (byte)random.Next(256); break;                             // replace a byte
                case 2: b.RemoveRange(at, b.Count - at); break;                            // cut short
                case 3: b.InsertRange(at, Enumerable.Range(0, 1 + random.Next(4)).Select(_ => (byte)random.Next(256))); break;
                default:                                                                   // copy a run elsewhere
                    int from = random.Next(b.Count), length = Math.Min(1 + random.Next(16), b.Count - from);
                    b.InsertRange(at, b.GetRange(from, length));
                    break;
            }
        }
        return [.. b];
    }
}
