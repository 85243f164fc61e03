// Hand-written: extends the generated caffe2.TensorShape.
namespace Caffe2Sharp.Schema.Proto;

public partial class TensorShape
{
    /// <summary>Creates a known shape with the given dims and element type.</summary>
    public static TensorShape Create(IEnumerable<long> dims, DataType dataType = DataType.Float)
    {
        var s = new TensorShape { DataType = dataType };
        s.Dims.AddRange(dims);
        return s;
    }

    /// <summary>A shape whose dims are not known (Caffe2's <c>unknown_shape</c>).</summary>
    public static TensorShape Unknown(DataType dataType = DataType.Undefined) =>
        new() { UnknownShape = true, DataType = dataType };

    /// <summary>Number of elements: the product of the dims (1 for a scalar); -1 when the shape is unknown.</summary>
    public long ElementCount
    {
        get
        {
            if (UnknownShape || UnknownDims.Count > 0) return -1;
            return DataTypes.ElementCount(Dims.ToArray())
                ?? throw new EnforceNotMetException($"Shape [{string.Join(", ", Dims)}] has a negative dim or too many elements.");
        }
    }

    /// <summary>Readable form such as <c>FLOAT[2, 3]</c> or <c>FLOAT[?]</c>.</summary>
    public string Describe() =>
        UnknownShape ? (DataType == DataType.Undefined ? "unknown" : $"{DataTypes.Name(DataType)}[?]")
                     : $"{DataTypes.Name(DataType)}[{string.Join(", ", Dims)}]";
}
