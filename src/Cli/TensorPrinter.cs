// Hand-written.
using System.Globalization;
using System.Text;
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Cli;

/// <summary>Prints tensors the way numpy summarises arrays: nested brackets, and "..." beyond a threshold.</summary>
internal static class TensorPrinter
{
    private const int Threshold = 1000;
    private const int EdgeItems = 3;

    public static string Format(Tensor t)
    {
        var sb = new StringBuilder();
        if (t.Rank == 0)
        {
            sb.Append(Element(t, 0));
            return sb.ToString();
        }
        bool summarise = t.Size > Threshold;
        var strides = new long[t.Rank];
        strides[^1] = 1;
        for (int d = t.Rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * t.Dims[d + 1];
        Append(sb, t, 0, 0, strides, summarise);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, Tensor t, int dim, long offset, long[] strides, bool summarise)
    {
        long n = t.Dims[dim];
        sb.Append('[');
        bool last = dim == t.Rank - 1;
        for (long k = 0; k < n; k++)
        {
            if (summarise && n > 2 * EdgeItems && k == EdgeItems)
            {
                sb.Append(last ? "..., " : "...," + Environment.NewLine + new string(' ', dim + 1));
                k = n - EdgeItems - 1;
                continue;
            }
            if (last) sb.Append(Element(t, offset + k));
            else Append(sb, t, dim + 1, offset + k * strides[dim], strides, summarise);
            if (k < n - 1)
                sb.Append(last ? ", " : "," + new string('\n', t.Rank - dim - 1).Replace("\n", Environment.NewLine) + new string(' ', dim + 1));
        }
        sb.Append(']');
    }

    // Floating types print numpy's way from their own shortest form (Tensor.FormatElement), others as they are.
    private static string Element(Tensor t, long index)
    {
        string text = t.FormatElement(index);
        return DataTypes.IsFloatingPoint(t.DataType) ? Real(double.Parse(text, CultureInfo.InvariantCulture), text) : text;
    }

    /// <summary>
    /// numpy's style: the shortest string that round-trips in the element's own type
    /// (<paramref name="shortest"/>), cut to 8 decimals; scientific for very large or small values.
    /// </summary>
    private static string Real(double v, string shortest)
    {
        var inv = CultureInfo.InvariantCulture;
        if (double.IsNaN(v)) return "nan";
        if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
        if (v == 0) return double.IsNegative(v) ? "-0" : "0";
        double a = Math.Abs(v);
        if (a >= 1e16 || a < 1e-4) return v.ToString("0.########e+00", inv);
        int dot = shortest.IndexOf('.');
        bool plain = !shortest.Contains('E', StringComparison.OrdinalIgnoreCase);
        if (plain && (dot < 0 || shortest.Length - dot - 1 <= 8)) return shortest;
        return Math.Round(v, 8, MidpointRounding.ToEven).ToString("0.########", inv);
    }
}
