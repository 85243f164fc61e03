// Hand-written.
namespace Caffe2Sharp.Models.Zoo;

/// <summary>
/// AlexNet as Caffe2's model zoo ships it (<c>bvlc_alexnet</c>, translated from Caffe's
/// <c>bvlc_alexnet</c>): the same operators, arguments and blob names (<c>data</c>, <c>conv1_w</c> ...
/// <c>fc8_b</c>, output <c>prob</c>), so <see cref="ModelHelper.InitNet"/> supplies every weight the zoo's
/// predict net reads, with the same shapes.
/// </summary>
/// <remarks>
/// Five convolutions (11x11/4, 5x5 group 2, 3x3, 3x3 group 2, 3x3 group 2), each followed by an
/// in-place Relu; LRN (size 5, alpha 1e-4, beta 0.75) and 3x3/2 max pooling after the first two;
/// pool5 pads bottom and right by one (Caffe's ceil mode, as the translator wrote it); three FC
/// layers with in-place Relu and test-mode Dropout between them; Softmax. Input <c>[N, 3, 227, 227]</c>.
/// </remarks>
public static class AlexNet
{
    /// <summary>The input shape of one image: <c>[1, 3, 227, 227]</c>.</summary>
    public static IReadOnlyList<long> InputShape { get; } = [1, 3, 227, 227];

    /// <summary>A model named <c>AlexNet</c> reading <c>data</c> and writing <c>prob</c> (an external output).</summary>
    /// <param name="classes">Output classes (1000 in the zoo).</param>
    /// <param name="seed">The init net's random seed, when given.</param>
    public static ModelHelper Create(int classes = 1000, uint? seed = null)
    {
        var model = new ModelHelper("AlexNet", seed);
        model.AddExternalOutput(Add(model, "data", classes));
        return model;
    }

    /// <summary>Adds AlexNet to <paramref name="model"/> on <paramref name="data"/> (NCHW, 227x227); returns the <c>prob</c> blob.</summary>
    public static BlobReference Add(ModelHelper model, BlobReference data, int classes = 1000, bool isTest = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        var conv1 = model.Relu(model.Conv(data, "conv1", 3, 96, 11, stride: 4), "conv1");
        var pool1 = model.MaxPool(model.LRN(conv1, "norm1", size: 5, alpha: 1e-4f, beta: 0.75f), "pool1", kernel: 3, stride: 2);
        var conv2 = model.Relu(model.Conv(pool1, "conv2", 96, 256, 5, pad: 2, group: 2), "conv2");
        var pool2 = model.MaxPool(model.LRN(conv2, "norm2", size: 5, alpha: 1e-4f, beta: 0.75f), "pool2", kernel: 3, stride: 2);
        var conv3 = model.Relu(model.Conv(pool2, "conv3", 256, 384, 3, pad: 1), "conv3");
        var conv4 = model.Relu(model.Conv(conv3, "conv4", 384, 384, 3, pad: 1, group: 2), "conv4");
        var conv5 = model.Relu(model.Conv(conv4, "conv5", 384, 256, 3, pad: 1, group: 2), "conv5");
        var pool5 = model.MaxPool(conv5, "pool5", kernel: 3, stride: 2, pads: [0, 0, 1, 1]);
        var fc6 = model.Dropout(model.Relu(model.FC(pool5, "fc6", 256 * 6 * 6, 4096), "fc6"), "fc6", isTest: isTest);
        var fc7 = model.Dropout(model.Relu(model.FC(fc6, "fc7", 4096, 4096), "fc7"), "fc7", isTest: isTest);
        return model.Softmax(model.FC(fc7, "fc8", 4096, classes), "prob");
    }
}
