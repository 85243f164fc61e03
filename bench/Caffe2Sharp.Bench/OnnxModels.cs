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
