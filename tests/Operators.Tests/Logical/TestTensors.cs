using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Operators.Tests.Logical;

/// <summary>Plain helpers the tests of the ONNX-facing operators share: typed tensors from doubles, and numpy broadcasting one index at a time.</summary>
internal static class TestTensors
{
    /// <summary>A tensor of <paramref name="type"/> holding <paramref name="values"/> (BOOL: nonzero is true).</summary>
    public static Tensor Make(DataType type, double[] values, params long[] dims)
    {
        var t = new Tensor(type, dims);
        for (int k = 0; k < values.Length; k++) Set(t, k, values[k]);
        return t;
    }

    /// <summary>Element <paramref name="k"/> of a numeric or BOOL tensor as a double.</summary>
    public static double Get(Tensor t, long k) => t.DataType switch
    {
        DataType.Float => t.Data<float>()[(int)k],
        DataType.Double => t.Data<double>()[(int)k],
        DataType.Int32 => t.Data<int>()[(int)k],
        DataType.Int64 => t.Data<long>()[(int)k],
        DataType.Bool => t.Data<bool>()[(int)k] ? 1 : 0,
        DataType.Uint8 => t.Data<byte>()[(int)k],
        DataType.Int8 => t.Data<sbyte>()[(int)k],
        DataType.Int16 => t.Data<short>()[(int)k],
        DataType.Uint16 => t.Data<ushort>()[(int)k],
        DataType.Float16 => (double)t.Data<Half>()[(int)k],
        _ => throw new ArgumentException(t.Describe()),
    };

    /// <summary>Sets element <paramref name="k"/> from a double (exact for the values the tests use).</summary>
    public static void Set(Tensor t, long k, double v)
    {
        int i = (int)k;
        switch (t.DataType)
        {
            case DataType.Float: t.Data<float>()[i] = (float)v; break;
            case DataType.Double: t.Data<double>()[i] = v; break;
            case DataType.Int32: t.Data<int>()[i] = (int)v; break;
            case DataType.Int64: t.Data<long>()[i] = (long)v; break;
            case DataType.Bool: t.Data<bool>()[i] = v != 0; break;
            case DataType.Uint8: t.Data<byte>()[i] = (byte)v; break;
            case DataType.Int8: t.Data<sbyte>()[i] = (sbyte)v; break;
            case DataType.Int16: t.Data<short>()[i] = (short)v; break;
            case DataType.Uint16: t.Data<ushort>()[i] = (ushort)v; break;
            case DataType.Float16: t.Data<Half>()[i] = (Half)v; break;
            default: throw new ArgumentException(t.Describe());
        }
    }

    /// <summary>Random small integers in [-3, 3] (as doubles), so comparisons meet ties.</summary>
    public static double[] SmallInts(Random r, long n) => Enumerable.Range(0, (int)n).Select(_ => (double)r.Next(-3, 4)).ToArray();

    public static long Count(long[] dims) => dims.Aggregate(1L, (a, b) => a * b);

    public static long[] Unravel(long k, long[] dims)
    {
        var idx = new long[dims.Length];
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            idx[d] = k % dims[d];
            k /= dims[d];
        }
        return idx;
    }

    /// <summary>numpy's broadcast of shapes, written the plain way (aligned at the end, equal or 1).</summary>
    public static long[] BroadcastShape(params long[][] shapes)
    {
        int rank = shapes.Max(s => s.Length);
        var result = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            long r = 1;
            foreach (var s in shapes)
            {
                int i = d - (rank - s.Length);
                long v = i < 0 ? 1 : s[i];
                if (v == 1) continue;
                if (r != 1 && r != v) throw new ArgumentException("shapes do not broadcast");
                r = v;
            }
            result[d] = r;
        }
        return result;
    }

    /// <summary>The flat index into a tensor of <paramref name="dims"/> of the element broadcast to output index <paramref name="outIdx"/>.</summary>
    public static long Source(long[] outIdx, long[] dims)
    {
        long k = 0;
        for (int d = 0; d < dims.Length; d++)
        {
            long i = outIdx[outIdx.Length - dims.Length + d];
            k = k * dims[d] + (dims[d] == 1 ? 0 : i);
        }
        return k;
    }

    /// <summary>Random dims pairs that broadcast: each dim of each operand is the output's or 1, ranks cut from the front.</summary>
    public static long[][] RandomBroadcastable(Random r, int operands)
    {
        int rank = r.Next(0, 5);
        var outDims = Enumerable.Range(0, rank).Select(_ => (long)r.Next(1, 5)).ToArray();
        var result = new long[operands][];
        for (int o = 0; o < operands; o++)
        {
            int cut = r.Next(0, rank + 1);
            result[o] = outDims.Skip(cut).Select(d => r.Next(3) == 0 ? 1 : d).ToArray();
        }
        return result;
    }
}
