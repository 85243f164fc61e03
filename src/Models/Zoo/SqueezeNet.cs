// Hand-written.
namespace Caffe2Sharp.Models.Zoo;

/// <summary>The two SqueezeNet versions.</summary>
public enum SqueezeNetVersion
{
    /// <summary>1.0: 7x7/2 convolution with 96 filters; pooling after conv1, fire4 and fire8; conv10 pads by 1.</summary>
    V1_0,
    /// <summary>1.1: 3x3/2 convolution with 64 filters; pooling after conv1, fire3 and fire5; conv10 unpadded.</summary>
    V1_1,
}

/// <summary>
/// SqueezeNet as Caffe2 nets translated from Caffe's <c>DeepScale/SqueezeNet</c> deploy files are
/// built: the same operators, arguments and blob names (<c>conv1</c>, <c>fire2/squeeze1x1</c>,
/// <c>fire2/expand1x1</c>, <c>fire2/expand3x3</c>, <c>fire2/concat</c> ..., <c>conv10</c>,
/// <c>pool10</c>, output <c>prob</c>).
/// </summary>
/// <remarks>
/// A fire module <c>fireK</c>: 1x1 <c>squeeze1x1</c>, then 1x1 <c>expand1x1</c> and 3x3
/// (pad 1) <c>expand3x3</c> side by side, each with an in-place Relu, concatenated along channels.
/// Max pooling is 3x3/2 in Caffe's ceil mode (<c>legacy_pad: 3</c>); fire9's output passes a
/// test-mode Dropout in place; the 1x1 classifier <c>conv10</c> has one output per class, then Relu,
/// global average pooling and Softmax. Input <c>[N, 3, 227, 227]</c> (224 works too).
/// </remarks>
public static class SqueezeNet
{
    /// <summary>The input shape of one image: <c>[1, 3, 227, 227]</c>.</summary>
    public static IReadOnlyList<long> InputShape { get; } = [1, 3, 227, 227];

    /// <summary>A model named <c>squeezenet</c> (the translated nets have no name) reading <c>data</c> and writing <c>prob</c> (an external output).</summary>
    /// <param name="classes">Output classes (1000 for ImageNet).</param>
    /// <param name="version">1.0 or 1.1.</param>
    /// <param name="seed">The init net's random seed, when given.</param>
    public static ModelHelper Create(int classes = 1000, SqueezeNetVersion version = SqueezeNetVersion.V1_0, uint? seed = null)
    {
        var model = new ModelHelper("squeezenet", seed);
        model.AddExternalOutput(Add(model, "data", classes, version));
        return model;
    }

    /// <summary>Adds SqueezeNet to <paramref name="model"/> on <paramref name="data"/>; returns the <c>prob</c> blob.</summary>
    public static BlobReference Add(ModelHelper model, BlobReference data, int classes = 1000,
        SqueezeNetVersion version = SqueezeNetVersion.V1_0, bool isTest = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        bool v10 = version == SqueezeNetVersion.V1_0;
        int conv1Out = v10 ? 96 : 64;
        var x = model.Conv(data, "conv1", 3, conv1Out, v10 ? 7 : 3, stride: 2);
        x = model.Relu(x, x);
        x = Pool(model, x, "pool1");
        int dimIn = conv1Out;
        // (fire index, squeeze channels, expand channels per branch); a pool follows the marked ones.
        (int Fire, int Squeeze, int Expand)[] fires = [(2, 16, 64), (3, 16, 64), (4, 32, 128), (5, 32, 128), (6, 48, 192), (7, 48, 192), (8, 64, 256), (9, 64, 256)];
        int[] poolAfter = v10 ? [4, 8] : [3, 5];
        foreach (var (fire, squeeze, expand) in fires)
        {
            x = Fire(model, x, $"fire{fire}", dimIn, squeeze, expand);
            dimIn = 2 * expand;
            if (poolAfter.Contains(fire)) x = Pool(model, x, $"pool{fire}");
        }
        x = model.Dropout(x, x, ratio: 0.5f, isTest: isTest);
        var conv10 = model.Conv(x, "conv10", dimIn, classes, 1, pad: v10 ? 1 : 0);
        conv10 = model.Relu(conv10, conv10);
        var pool10 = model.AveragePool(conv10, "pool10", globalPooling: true, legacyPad: LegacyPadding.CaffeLegacyPooling);
        return model.Softmax(pool10, "prob");
    }

    private static BlobReference Pool(ModelHelper model, BlobReference input, string output) =>
        model.MaxPool(input, output, kernel: 3, stride: 2, legacyPad: LegacyPadding.CaffeLegacyPooling);

    private static BlobReference Fire(ModelHelper model, BlobReference input, string name, int dimIn, int squeeze, int expand)
    {
        var s = model.Conv(input, name + "/squeeze1x1", dimIn, squeeze, 1);
        s = model.Relu(s, s);
        var e1 = model.Conv(s, name + "/expand1x1", squeeze, expand, 1);
        e1 = model.Relu(e1, e1);
        var e3 = model.Conv(s, name + "/expand3x3", squeeze, expand, 3, pad: 1);
        e3 = model.Relu(e3, e3);
        return model.Concat([e1, e3], name + "/concat");
    }
}
