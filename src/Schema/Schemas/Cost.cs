// Hand-written.
namespace Caffe2Sharp.Schema;

/// <summary>
/// The estimated cost of running an operator once (Caffe2's <c>OpSchema::Cost</c>): floating-point
/// operations, bytes read, bytes written, and bytes of parameters read.
/// </summary>
/// <param name="Flops">Floating-point operations.</param>
/// <param name="BytesRead">Total bytes of input read.</param>
/// <param name="BytesWritten">Total bytes of output written.</param>
/// <param name="ParamsBytes">Bytes of parameters (weights) read; included in <paramref name="BytesRead"/> by convention of the op.</param>
public readonly record struct Cost(ulong Flops, ulong BytesRead, ulong BytesWritten, ulong ParamsBytes = 0)
{
    /// <summary>Sums two costs field by field.</summary>
    public static Cost operator +(Cost a, Cost b) =>
        new(a.Flops + b.Flops, a.BytesRead + b.BytesRead, a.BytesWritten + b.BytesWritten, a.ParamsBytes + b.ParamsBytes);

    /// <summary>Bytes moved: read plus written.</summary>
    public ulong BytesMoved => BytesRead + BytesWritten;
}

/// <summary>Computes output shapes from an operator def and its input shapes.</summary>
public delegate IReadOnlyList<TensorShape> TensorInference(OperatorDef def, IReadOnlyList<TensorShape> inputs);

/// <summary>Computes the cost of an operator from its def and input shapes.</summary>
public delegate Cost CostInference(OperatorDef def, IReadOnlyList<TensorShape> inputs);

/// <summary>Ready-made cost functions.</summary>
public static class CostFunctions
{
    /// <summary>
    /// The cost of a pointwise operator doing <paramref name="opsPerPoint"/> flops per element of
    /// input 0 (Caffe2's <c>PointwiseCostInference&lt;N&gt;</c>). Bytes read are the elements of all
    /// inputs, bytes written the elements of input 0, both times the element size of input 0's type.
    /// Unlike upstream's older versions, the element size is the type's real size, not the size
    /// of the enum.
    /// </summary>
    public static CostInference Pointwise(int opsPerPoint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(opsPerPoint);
        return (def, inputs) =>
        {
            Enforce.That(inputs.Count > 0, () => $"Pointwise cost of operator {def.DisplayName} needs at least one input shape.");
            var x = inputs[0];
            long nx = x.ElementCount;
            Enforce.That(nx >= 0, () => $"Pointwise cost of operator {def.DisplayName}: the shape of input 0 '{Name(def, 0)}' is unknown.");
            ulong size = (ulong)DataTypes.ElementSize(x.DataType);
            ulong read = 0;
            for (int k = 0; k < inputs.Count; k++)
            {
                long n = inputs[k].ElementCount;
                Enforce.That(n >= 0, () => $"Pointwise cost of operator {def.DisplayName}: the shape of input {k} '{Name(def, k)}' is unknown.");
                read += (ulong)n;
            }
            return new Cost((ulong)nx * (ulong)opsPerPoint, read * size, (ulong)nx * size);
        };

        static string Name(OperatorDef def, int k) => k < def.Input.Count ? def.Input[k] : "?";
    }
}
