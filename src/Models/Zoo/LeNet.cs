// Hand-written.
namespace Caffe2Sharp.Models.Zoo;

/// <summary>The two LeNet layouts <see cref="LeNet"/> builds.</summary>
public enum LeNetVariant
{
    /// <summary>
    /// Caffe2's MNIST tutorial (<c>AddLeNetModel</c>): conv1 (20, 5x5), pool1 (2x2/2), conv2 (50,
    /// 5x5), pool2, fc3 (500) with in-place Relu, pred (classes), Softmax <c>softmax</c>.
    /// </summary>
    Caffe2Tutorial,
    /// <summary>
    /// The same layers as PyTorch's ONNX-to-Caffe2 export writes them (the shared
    /// <c>mnist-lenet</c> net): each convolution without bias followed by <c>Add</c> with legacy
    /// broadcast on axis 1, then MaxPool and Relu; Reshape to <c>[-1, 800]</c>; fc3 and pred with no
    /// activation between them and no Softmax (the output is <c>pred</c>).
    /// </summary>
    TorchExport,
}

/// <summary>
/// LeNet for 28x28 MNIST digits (input <c>[N, 1, 28, 28]</c>): two 5x5 convolutions (20 and 50
/// channels), each with 2x2/2 max pooling, then FC 800 -> 500 -> classes.
/// </summary>
/// <remarks>
/// Blob names are the tutorial's (<c>conv1</c>, <c>conv1_w</c>, <c>pool1</c> ... <c>pred</c>).
/// <see cref="LeNetVariant.TorchExport"/> has the operator sequence and arguments of the exported
/// net, whose blobs are numbered <c>"1"</c> to <c>"26"</c> instead; here the bias-free convolution
/// writes <c>conv1</c>, the Add <c>conv1_biased</c>, then <c>pool1</c>, <c>relu1</c>, and the Reshape
/// <c>flat</c> (with <c>_flat_old_shape</c>). Its parameters come in the same
/// order (<c>data</c>, <c>conv1_w</c>, <c>conv1_b</c>, <c>conv2_w</c>, <c>conv2_b</c>, <c>fc3_w</c>,
/// <c>fc3_b</c>, <c>pred_w</c>, <c>pred_b</c> for <c>"1"</c> to <c>"9"</c>), with the same shapes.
/// The exported net writes <c>kernels</c>/<c>strides</c>/<c>pads</c>/<c>dilations</c> lists and
/// <c>group: 1</c> where brew writes <c>kernel</c>/<c>stride</c>/<c>pad</c> and <c>order</c>: the same
/// windows.
/// </remarks>
public static class LeNet
{
    /// <summary>The input shape of one image: <c>[1, 1, 28, 28]</c>.</summary>
    public static IReadOnlyList<long> InputShape { get; } = [1, 1, 28, 28];

    /// <summary>A model named <c>lenet</c> reading <c>data</c>, its output an external output.</summary>
    /// <param name="classes">Output classes (10 digits).</param>
    /// <param name="variant">The tutorial's layout or the exported net's.</param>
    /// <param name="seed">The init net's random seed, when given.</param>
    public static ModelHelper Create(int classes = 10, LeNetVariant variant = LeNetVariant.Caffe2Tutorial, uint? seed = null)
    {
        var model = new ModelHelper("lenet", seed);
        model.AddExternalOutput(Add(model, "data", classes, variant));
        return model;
    }

    /// <summary>Adds LeNet to <paramref name="model"/> on <paramref name="data"/>; returns <c>softmax</c> (tutorial) or <c>pred</c> (export).</summary>
    public static BlobReference Add(ModelHelper model, BlobReference data, int classes = 10, LeNetVariant variant = LeNetVariant.Caffe2Tutorial)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (variant == LeNetVariant.Caffe2Tutorial)
        {
            var conv1 = model.Conv(data, "conv1", 1, 20, 5);
            var pool1 = model.MaxPool(conv1, "pool1", kernel: 2, stride: 2);
            var conv2 = model.Conv(pool1, "conv2", 20, 50, 5);
            var pool2 = model.MaxPool(conv2, "pool2", kernel: 2, stride: 2);
            var fc3 = model.FC(pool2, "fc3", 50 * 4 * 4, 500);
            fc3 = model.Relu(fc3, fc3);
            return model.Softmax(model.FC(fc3, "pred", 500, classes), "softmax");
        }
        var x = ConvAddPoolRelu(model, data, "conv1", "pool1", "relu1", 1, 20);
        x = ConvAddPoolRelu(model, x, "conv2", "pool2", "relu2", 20, 50);
        var flat = model.Reshape(x, "flat", [-1, 50 * 4 * 4]);
        var fc = model.FC(flat, "fc3", 50 * 4 * 4, 500);
        return model.FC(fc, "pred", 500, classes);
    }

    private static BlobReference ConvAddPoolRelu(ModelHelper model, BlobReference input, string conv, string pool, string relu, int dimIn, int dimOut)
    {
        var raw = model.Conv(input, conv, dimIn, dimOut, 5, noBias: true);
        // The bias as its own parameter, named like brew's conv bias, added with legacy broadcast.
        var bias = model.CreateParam(conv + "_b", [dimOut], Initializer.Constant(0f));
        var biased = model.Add(raw, bias, conv + "_biased", broadcast: true, axis: 1);
        return model.Relu(model.MaxPool(biased, pool, kernel: 2, stride: 2), relu);
    }
}
