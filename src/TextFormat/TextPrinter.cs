// Hand-written.
using System.Collections;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Caffe2Sharp.TextFormat;

/// <summary>
/// Writes a message in protobuf text format, driven by its descriptor: present fields in
/// field-number order, one per line, nested messages as indented <c>name { ... }</c> blocks.
/// </summary>
internal static class TextPrinter
{
    private const int IndentWidth = 2;

    public static void Print(IMessage message, StringBuilder sb, int indent)
    {
        foreach (FieldDescriptor field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            object value = field.Accessor.GetValue(message);
            if (field.IsMap)
            {
                PrintMap(field, (IDictionary)value, sb, indent);
            }
            else if (field.IsRepeated)
            {
                foreach (object? item in (IList)value)
                {
                    PrintField(field, item!, sb, indent);
                }
            }
            else if (IsPresent(message, field, value))
            {
                PrintField(field, value, sb, indent);
            }
        }
    }

    /// <summary>
    /// proto2 fields (and proto3 optional, oneof and message fields) track presence, so an
    /// explicitly set default such as <c>engine: ""</c> is printed. proto3 implicit-presence
    /// fields have no such bit and are printed when they differ from their default, as the
    /// binary encoder does.
    /// </summary>
    private static bool IsPresent(IMessage message, FieldDescriptor field, object? value)
    {
        if (field.HasPresence)
        {
            return field.Accessor.HasValue(message);
        }

        return value switch
        {
            null => false,
            string s => s.Length != 0,
            ByteString b => !b.IsEmpty,
            bool b => b,
            double d => BitConverter.DoubleToInt64Bits(d) != 0,
            float f => BitConverter.SingleToInt32Bits(f) != 0,
            Enum e => Convert.ToInt64(e, CultureInfo.InvariantCulture) != 0,
            IConvertible c => Convert.ToDecimal(c, CultureInfo.InvariantCulture) != 0,
            _ => true,
        };
    }

    private static void PrintField(FieldDescriptor field, object value, StringBuilder sb, int indent)
    {
        sb.Append(' ', indent);
        if (field.FieldType is FieldType.Message or FieldType.Group)
        {
            // Groups are named by their type in text format.
            sb.Append(field.FieldType == FieldType.Group ? field.MessageType.Name : field.Name).Append(" {\n");
            Print((IMessage)value, sb, indent + IndentWidth);
            sb.Append(' ', indent).Append("}\n");
            return;
        }

        sb.Append(field.Name).Append(": ");
        AppendScalar(field, value, sb);
        sb.Append('\n');
    }

    // Entries are sorted by key, as protobuf's printers do, so the output is deterministic.
    private static void PrintMap(FieldDescriptor field, IDictionary map, StringBuilder sb, int indent)
    {
        FieldDescriptor keyField = field.MessageType.FindFieldByNumber(1);
        FieldDescriptor valueField = field.MessageType.FindFieldByNumber(2);
        var entries = new List<DictionaryEntry>(map.Count);
        foreach (DictionaryEntry entry in map)
        {
            entries.Add(entry);
        }

        entries.Sort(static (a, b) => a.Key is string x && b.Key is string y
            ? string.CompareOrdinal(x, y)
            : Comparer.DefaultInvariant.Compare(a.Key, b.Key));
        foreach (DictionaryEntry entry in entries)
        {
            sb.Append(' ', indent).Append(field.Name).Append(" {\n");
            PrintField(keyField, entry.Key, sb, indent + IndentWidth);
            PrintField(valueField, entry.Value!, sb, indent + IndentWidth);
            sb.Append(' ', indent).Append("}\n");
        }
    }

    private static void AppendScalar(FieldDescriptor field, object value, StringBuilder sb)
    {
        switch (field.FieldType)
        {
            case FieldType.Double:
                sb.Append(FormatDouble((double)value));
                break;
            case FieldType.Float:
                sb.Append(FormatFloat((float)value));
                break;
            case FieldType.Bool:
                sb.Append((bool)value ? "true" : "false");
                break;
            case FieldType.String:
                TextEscaping.AppendQuoted(sb, Encoding.UTF8.GetBytes((string)value));
                break;
            case FieldType.Bytes:
                TextEscaping.AppendQuoted(sb, ((ByteString)value).Span);
                break;
            case FieldType.Enum:
            {
                int number = Convert.ToInt32(value, CultureInfo.InvariantCulture);
                EnumValueDescriptor? named = field.EnumType.FindValueByNumber(number);
                sb.Append(named is not null ? named.Name : number.ToString(CultureInfo.InvariantCulture));
                break;
            }

            default:
                // Every integer type: invariant decimal.
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>
    /// Shortest text that reads back to the same double ("R" semantics on .NET Core 3.0+):
    /// <c>1</c>, <c>0.1</c>, <c>1e-05</c>, <c>-0</c>; <c>inf</c>, <c>-inf</c>, <c>nan</c> for the
    /// special values. Integral values print without a point (<c>1</c>), which protobuf's parsers
    /// accept for float and double fields. The exponent marker is lowered to match C++ output.
    /// </summary>
    internal static string FormatDouble(double value) =>
        double.IsNaN(value) ? "nan"
        : double.IsPositiveInfinity(value) ? "inf"
        : double.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');

    /// <summary>As <see cref="FormatDouble"/>, with the shortest text that reads back to the same float.</summary>
    internal static string FormatFloat(float value) =>
        float.IsNaN(value) ? "nan"
        : float.IsPositiveInfinity(value) ? "inf"
        : float.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
}
