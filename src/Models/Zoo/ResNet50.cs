// Hand-written.
namespace Caffe2Sharp.Models.Zoo;

/// <summary>
/// ResNet-50 as Caffe2's model zoo ships it (<c>resnet50</c>, trained with Caffe2's multi-GPU
/// ImageNet code): the same operators, arguments and blob names, every one under the name scope
/// <c>gpu_0/</c> (<c>gpu_0/data</c>, <c>gpu_0/conv1_w</c>, <c>gpu_0/res2_0_branch2a_bn_s</c> ...,
/// output <c>gpu_0/softmax</c>), so <see cref="ModelHelper.InitNet"/> supplies every weight the
/// zoo's predict net reads, with the same shapes.
/// </summary>
/// <remarks>
/// <para>A 7x7/2 convolution (no bias) with SpatialBN and Relu, 3x3/2 max pooling (pad 1), then
/// four stages of bottleneck blocks (3, 4, 6, 3 blocks; 64, 128, 256, 512 inner channels, four
/// times as many out). Block <c>resS_B</c>: <c>branch2a</c> 1x1, <c>branch2b</c> 3x3 (stride 2 in the
/// first block of stages 3 to 5), <c>branch2c</c> 1x1, each convolution without bias and followed by
/// SpatialBN (<c>_bn</c>, epsilon 1e-5, test mode), Relu after the first two; the first block of each
/// stage projects the shortcut with <c>branch1</c> (1x1 with the block's stride, then SpatialBN);
/// <c>Sum</c> writes the residual into <c>branch2c_bn</c> in place, then Relu. 7x7 average pooling,
/// FC <c>pred</c>, Softmax. Input <c>[N, 3, 224, 224]</c>.</para>
/// <para>The zoo net also declares an unread input <c>gpu_0/imagenet1k_blobs_queue_...</c>, a leftover
/// of its training reader; this builder does not.</para>
/// </remarks>
public static class ResNet50
{
    /// <summary>The input shape of one image: <c>[1, 3, 224, 224]</c>.</summary>
    public static IReadOnlyList<long> InputShape { get; } = [1, 3, 224, 224];

    /// <summary>The name scope of the zoo's blobs.</summary>
    public const string Scope = "gpu_0";

    /// <summary>
    /// A model named <c>resnet50</c> reading <c>gpu_0/data</c> and writing <c>gpu_0/softmax</c> (an external output).
    /// </summary>
    /// <param name="classes">Output classes (1000 in the zoo).</param>
    /// <param name="seed">The init net's random seed, when given.</param>
    public static ModelHelper Create(int classes = 1000, uint? seed = null)
    {
        var model = new ModelHelper("resnet50", seed);
        using (model.NameScope(Scope))
            model.AddExternalOutput(Add(model, "data", classes));
        return model;
    }

    /// <summary>
    /// Adds ResNet-50 to <paramref name="model"/> on <paramref name="data"/> (NCHW, 224x224) in the
    /// current name scope; returns the <c>softmax</c> blob.
    /// </summary>
    public static BlobReference Add(ModelHelper model, BlobReference data, int classes = 1000)
    {
        ArgumentNullException.ThrowIfNull(model);
        var conv1 = model.Conv(data, "conv1", 3, 64, 7, stride: 2, pad: 3, noBias: true);
        var bn1 = model.Relu(model.SpatialBN(conv1, "res_conv1_bn", 64), "res_conv1_bn");
        var x = model.MaxPool(bn1, "pool1", kernel: 3, stride: 2, pad: 1);
        int dimIn = 64;
        (int Stage, int Blocks, int Inner, int Stride)[] stages = [(2, 3, 64, 1), (3, 4, 128, 2), (4, 6, 256, 2), (5, 3, 512, 2)];
        foreach (var (stage, blocks, inner, stride) in stages)
        {
            for (int b = 0; b < blocks; b++)
            {
                x = Bottleneck(model, x, $"res{stage}_{b}", dimIn, inner, inner * 4, b == 0 ? stride : 1, projection: b == 0);
                dimIn = inner * 4;
            }
        }
        var pool5 = model.AveragePool(x, "pool5", kernel: 7, stride: 1);
        return model.Softmax(model.FC(pool5, "pred", dimIn, classes), "softmax");
    }

    private static BlobReference Bottleneck(ModelHelper model, BlobReference input, string prefix, int dimIn, int inner, int dimOut, int stride, bool projection)
    {
        var a = ConvBN(model, input, prefix + "_branch2a", dimIn, inner, 1, 1, 0);
        a = model.Relu(a, a);
        var b = ConvBN(model, a, prefix + "_branch2b", inner, inner, 3, stride, 1);
        b = model.Relu(b, b);
        var c = ConvBN(model, b, prefix + "_branch2c", inner, dimOut, 1, 1, 0);
        var shortcut = projection ? ConvBN(model, input, prefix + "_branch1", dimIn, dimOut, 1, stride, 0) : input;
        var sum = model.Sum([c, shortcut], c);
        return model.Relu(sum, sum);
    }

    private static BlobReference ConvBN(ModelHelper model, BlobReference input, string name, int dimIn, int dimOut, int kernel, int stride, int pad) =>
        model.SpatialBN(model.Conv(input, name, dimIn, dimOut, kernel, stride: stride, pad: pad, noBias: true), name + "_bn", dimOut);
}
