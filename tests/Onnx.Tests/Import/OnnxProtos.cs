using Caffe2Sharp.Onnx.Proto;
using AttributeType = Caffe2Sharp.Onnx.Proto.AttributeProto.Types.AttributeType;
using OnnxTensor = Caffe2Sharp.Onnx.Proto.TensorProto;

namespace Caffe2Sharp.Onnx.Tests.Import;

/// <summary>The pieces of hand-built ONNX models the import tests use: values, nodes, attributes, initializers.</summary>
internal static class OnnxProtos
{
    /// <summary>A tensor value of ONNX element type <paramref name="elemType"/> with fixed dims.</summary>
    public static ValueInfoProto Value(string name, int elemType, params long[] dims) =>
        Symbolic(name, elemType, [.. dims.Select(d => (object)d)]);

    /// <summary>A tensor value whose dims are numbers (fixed) or strings (symbolic, <c>dim_param</c>).</summary>
    public static ValueInfoProto Symbolic(string name, int elemType, params object[] dims)
    {
        var value = Unshaped(name, elemType);
        value.Type.TensorType.Shape = new TensorShapeProto();
        foreach (var d in dims)
            value.Type.TensorType.Shape.Dim.Add(d is string p ? new TensorShapeProto.Types.Dimension { DimParam = p }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) });
        return value;
    }

    /// <summary>A tensor value with an element type and no shape.</summary>
    public static ValueInfoProto Unshaped(string name, int elemType) =>
        new() { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType } } };

    public static NodeProto Node(string type, string[] inputs, string[] outputs, string name = "", params AttributeProto[] attrs)
    {
        var n = new NodeProto { OpType = type, Name = name };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attrs);
        return n;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, I = value, Type = AttributeType.Int };

    public static AttributeProto Float(string name, float value) => new() { Name = name, F = value, Type = AttributeType.Float };

    public static AttributeProto Text(string name, string value) =>
        new() { Name = name, S = Google.Protobuf.ByteString.CopyFromUtf8(value), Type = AttributeType.String };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>An INT64 initializer of <paramref name="dims"/> (none: a scalar).</summary>
    public static OnnxTensor Int64s(string name, long[] values, params long[] dims)
    {
        var t = new OnnxTensor { Name = name, DataType = 7 };
        t.Dims.AddRange(dims);
        t.Int64Data.AddRange(values);
        return t;
    }

    /// <summary>A FLOAT initializer of <paramref name="dims"/> (none: a scalar).</summary>
    public static OnnxTensor Floats(string name, float[] values, params long[] dims)
    {
        var t = new OnnxTensor { Name = name, DataType = 1 };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(values);
        return t;
    }
}
