// Hand-written.
using Caffe2Sharp.Onnx.Proto;
using Google.Protobuf;

namespace Caffe2Sharp.Bench;

/// <summary>ONNX models built in code from the subset in <c>proto/onnx.proto</c>.</summary>
internal static class OnnxModels
{
    /// <summary>IR version 8 is the first that may import opset 16.</summary>
    private const long IrVersion = 8;

    /// <summary>LeakyRelu-16: the newest version; adds bfloat16, same float semantics as LeakyRelu-6.</summary>
    private const long OpsetVersion = 16;

    /// <summary>
    /// The serialized model <c>Y = LeakyRelu(X, alpha)</c>, with X and Y float tensors of shape
    /// [<paramref name="length"/>] (a fixed shape, as a deployed model would have).
    /// </summary>
    public static byte[] LeakyRelu(int length, float alpha)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Caffe2Sharp.Bench",
            Graph = new GraphProto
            {
                Name = "leaky_relu",
                Node =
                {
                    new NodeProto
                    {
                        Name = "leaky_relu",
                        OpType = "LeakyRelu",
                        Input = { "X" },
                        Output = { "Y" },
                        Attribute = { new AttributeProto { Name = "alpha", F = alpha, Type = AttributeProto.Types.AttributeType.Float } },
                    },
                },
                Input = { FloatVector("X", length) },
                Output = { FloatVector("Y", length) },
            },
            // The domain is left absent: the default ONNX domain.
            OpsetImport = { new OperatorSetIdProto { Version = OpsetVersion } },
        };
        return model.ToByteArray();
    }

    /// <summary>
    /// The serialized model <c>Y[m, n] = MatMul(A[m, k], B)</c> with B a constant [k, n]
    /// initializer (as weights are), so ONNX Runtime may pack it once at load (MLAS prepacking).
    /// </summary>
    public static byte[] MatMul(int m, int k, int n, float[] b)
    {
        ArgumentNullException.ThrowIfNull(b);
        var graph = new GraphProto
        {
            Name = "matmul",
            Node = { new NodeProto { Name = "matmul", OpType = "MatMul", Input = { "A", "B" }, Output = { "Y" } } },
            Initializer = { FloatTensor("B", [k, n], b) },
            Input = { FloatValue("A", [m, k]) },
            Output = { FloatValue("Y", [m, n]) },
        };
        return Model(graph, 13);
    }

    /// <summary>
    /// The serialized model <c>Y = Conv(X, W, B)</c> (opset 11) on an NCHW input of
    /// <paramref name="xDims"/>, with the filter <paramref name="w"/> <c>[M, C / group, kh, kw]</c>
    /// and the bias as constant initializers, symmetric padding and equal strides.
    /// </summary>
    public static byte[] Conv(long[] xDims, long[] wDims, float[] w, float[] bias, int stride, int pad, int group, long[] yDims)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(bias);
        static AttributeProto Ints(string name, params long[] values)
        {
            var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            a.Ints.AddRange(values);
            return a;
        }
        var node = new NodeProto
        {
            Name = "conv", OpType = "Conv", Input = { "X", "W", "B" }, Output = { "Y" },
            Attribute =
            {
                Ints("kernel_shape", wDims[2], wDims[3]), Ints("strides", stride, stride), Ints("pads", pad, pad, pad, pad),
                new AttributeProto { Name = "group", I = group, Type = AttributeProto.Types.AttributeType.Int },
            },
        };
        var graph = new GraphProto
        {
            Name = "conv",
            Node = { node },
            Initializer = { FloatTensor("W", wDims, w), FloatTensor("B", [wDims[0]], bias) },
            Input = { FloatValue("X", xDims) },
            Output = { FloatValue("Y", yDims) },
        };
        return Model(graph, 11);
    }

    /// <summary>
    /// The serialized model <c>Y = Resize(X, scales)</c> (opset 19) with the scales a constant
    /// initializer and the given mode and coordinate mapping.
    /// </summary>
    public static byte[] Resize(long[] xDims, float[] scales, string mode, string coordinates, long[] yDims)
    {
        ArgumentNullException.ThrowIfNull(scales);
        static AttributeProto Text(string name, string value) =>
            new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
        var node = new NodeProto
        {
            Name = "resize", OpType = "Resize", Input = { "X", "", "scales" }, Output = { "Y" },
            Attribute = { Text("mode", mode), Text("coordinate_transformation_mode", coordinates) },
        };
        var graph = new GraphProto
        {
            Name = "resize",
            Node = { node },
            Initializer = { FloatTensor("scales", [scales.Length], scales) },
            Input = { FloatValue("X", xDims) },
            Output = { FloatValue("Y", yDims) },
        };
        return Model(graph, 19);
    }

    private static byte[] Model(GraphProto graph, long opset) => new ModelProto
    {
        IrVersion = IrVersion,
        ProducerName = "Caffe2Sharp.Bench",
        Graph = graph,
        OpsetImport = { new OperatorSetIdProto { Version = opset } },
    }.ToByteArray();

    private static Caffe2Sharp.Onnx.Proto.TensorProto FloatTensor(string name, long[] dims, float[] values)
    {
        var t = new Caffe2Sharp.Onnx.Proto.TensorProto { Name = name, DataType = (int)Caffe2Sharp.Onnx.Proto.TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(values);
        return t;
    }

    private static ValueInfoProto FloatValue(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)Caffe2Sharp.Onnx.Proto.TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static ValueInfoProto FloatVector(string name, int length) => new()
    {
        Name = name,
        Type = new TypeProto
        {
            TensorType = new TypeProto.Types.Tensor
            {
                ElemType = (int)Caffe2Sharp.Onnx.Proto.TensorProto.Types.DataType.Float,
                Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimValue = length } } },
            },
        },
    };
}
