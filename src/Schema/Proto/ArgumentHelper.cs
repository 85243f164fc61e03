// Hand-written.
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Collections;

namespace Caffe2Sharp.Schema.Proto;

/// <summary>
/// Typed access to Caffe2 <see cref="Argument"/> lists, with Caffe2's field mapping:
/// floating-point values live in <c>f</c>/<c>floats</c>; integers and bools in <c>i</c>/<c>ints</c>;
/// strings in <c>s</c>/<c>strings</c>; nets in <c>n</c>/<c>nets</c>; tensors in <c>t</c>/<c>tensors</c>.
/// </summary>
/// <remarks>
/// One deliberate difference from Caffe2: a float argument stored as an integer (Python writes
/// <c>alpha=1</c> to field <c>i</c>) is accepted when the integer converts to the float exactly;
/// Caffe2 rejects it. Integers are range-checked: a value that does not fit the requested type is
/// an error, never a silent truncation.
/// </remarks>
public static class ArgumentHelper
{
    /// <summary>The first argument named <paramref name="name"/>, or null.</summary>
    public static Argument? Find(RepeatedField<Argument> args, string name)
    {
        foreach (var a in args)
            if (a.Name == name) return a;
        return null;
    }

    /// <summary>True when an argument named <paramref name="name"/> is present.</summary>
    public static bool Has(RepeatedField<Argument> args, string name) => Find(args, name) is not null;

    /// <summary>
    /// Reads a single-valued argument, or returns <paramref name="defaultValue"/> when it is absent.
    /// <paramref name="owner"/> names the operator or net in error messages.
    /// </summary>
    /// <exception cref="EnforceNotMetException">The argument is present but its value is not in the field that <typeparamref name="T"/> needs, or does not fit.</exception>
    public static T GetSingle<T>(RepeatedField<Argument> args, string name, T defaultValue, string owner)
    {
        var arg = Find(args, name);
        return arg is null ? defaultValue : ReadSingle<T>(arg, owner);
    }

    /// <summary>Reads a single-valued argument that is known to be present.</summary>
    public static T ReadSingle<T>(Argument arg, string owner)
    {
        object? value;
        var t = typeof(T);
        if (t == typeof(float) || t == typeof(double))
        {
            if (arg.HasF) value = t == typeof(float) ? (object)arg.F : (double)arg.F;
            else if (arg.HasI)
            {
                double d = arg.I;
                // Integers up to 2^24 (float) or 2^53 (double) in magnitude convert exactly.
                long limit = t == typeof(float) ? 1L << 24 : 1L << 53;
                bool exact = arg.I >= -limit && arg.I <= limit;
                if (!exact) throw WrongField(arg, owner, "f (float)", $"integer {arg.I} has no exact {t.Name} value");
                value = t == typeof(float) ? (object)(float)arg.I : d;
            }
            else throw WrongField(arg, owner, "f (float)");
        }
        else if (t == typeof(string))
        {
            if (!arg.HasS) throw WrongField(arg, owner, "s (string)");
            value = arg.S.ToStringUtf8();
        }
        else if (t == typeof(ByteString))
        {
            if (!arg.HasS) throw WrongField(arg, owner, "s (bytes)");
            value = arg.S;
        }
        else if (t == typeof(NetDef))
        {
            if (arg.N is null) throw WrongField(arg, owner, "n (NetDef)");
            value = arg.N;
        }
        else if (t == typeof(TensorProto))
        {
            if (arg.T is null) throw WrongField(arg, owner, "t (TensorProto)");
            value = arg.T;
        }
        else
        {
            if (!arg.HasI) throw WrongField(arg, owner, $"i ({t.Name})");
            value = ConvertInteger(arg.I, t, arg.Name, owner);
        }
        return (T)value!;
    }

    /// <summary>
    /// Reads a repeated argument, or returns <paramref name="defaultValue"/> (empty when null) when it is absent.
    /// </summary>
    public static T[] GetRepeated<T>(RepeatedField<Argument> args, string name, IReadOnlyList<T>? defaultValue, string owner)
    {
        var arg = Find(args, name);
        if (arg is null) return defaultValue is null ? [] : [.. defaultValue];
        var t = typeof(T);
        if (t == typeof(float)) return (T[])(object)arg.Floats.ToArray();
        if (t == typeof(double)) return (T[])(object)arg.Floats.Select(f => (double)f).ToArray();
        if (t == typeof(string)) return (T[])(object)arg.Strings.Select(s => s.ToStringUtf8()).ToArray();
        if (t == typeof(ByteString)) return (T[])(object)arg.Strings.ToArray();
        if (t == typeof(NetDef)) return (T[])(object)arg.Nets.ToArray();
        if (t == typeof(TensorProto)) return (T[])(object)arg.Tensors.ToArray();
        var result = new T[arg.Ints.Count];
        for (int k = 0; k < result.Length; k++) result[k] = (T)ConvertInteger(arg.Ints[k], t, arg.Name, owner);
        return result;
    }

    /// <summary>Builds an argument holding one value in the field Caffe2 uses for its type.</summary>
    public static Argument MakeArgument<T>(string name, T value)
    {
        ArgumentNullException.ThrowIfNull(name);
        var arg = new Argument { Name = name };
        switch (value)
        {
            case float f: arg.F = f; break;
            case double d: arg.F = (float)d; break;
            case bool b: arg.I = b ? 1 : 0; break;
            case string s: arg.S = ByteString.CopyFromUtf8(s); break;
            case ByteString bs: arg.S = bs; break;
            case byte[] bytes: arg.S = ByteString.CopyFrom(bytes); break;
            case NetDef n: arg.N = n; break;
            case TensorProto tp: arg.T = tp; break;
            case sbyte or byte or short or ushort or int or uint or long:
                arg.I = Convert.ToInt64(value, CultureInfo.InvariantCulture); break;
            default:
                throw new ArgumentException($"Argument '{name}': type {typeof(T).Name} has no Caffe2 argument field.", nameof(value));
        }
        return arg;
    }

    /// <summary>Builds an argument holding a list in the repeated field Caffe2 uses for its element type.</summary>
    public static Argument MakeRepeatedArgument<T>(string name, IEnumerable<T> values)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(values);
        var arg = new Argument { Name = name };
        foreach (var value in values)
        {
            switch (value)
            {
                case float f: arg.Floats.Add(f); break;
                case double d: arg.Floats.Add((float)d); break;
                case bool b: arg.Ints.Add(b ? 1 : 0); break;
                case string s: arg.Strings.Add(ByteString.CopyFromUtf8(s)); break;
                case ByteString bs: arg.Strings.Add(bs); break;
                case NetDef n: arg.Nets.Add(n); break;
                case TensorProto tp: arg.Tensors.Add(tp); break;
                case sbyte or byte or short or ushort or int or uint or long:
                    arg.Ints.Add(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
                default:
                    throw new ArgumentException($"Argument '{name}': type {typeof(T).Name} has no Caffe2 argument field.", nameof(values));
            }
        }
        return arg;
    }

    /// <summary>The names of the value fields set on <paramref name="arg"/> (e.g. "f", "ints").</summary>
    public static IReadOnlyList<string> SetFields(Argument arg)
    {
        var list = new List<string>(2);
        if (arg.HasF) list.Add("f");
        if (arg.HasI) list.Add("i");
        if (arg.HasS) list.Add("s");
        if (arg.Floats.Count > 0) list.Add("floats");
        if (arg.Ints.Count > 0) list.Add("ints");
        if (arg.Strings.Count > 0) list.Add("strings");
        if (arg.N is not null) list.Add("n");
        if (arg.Nets.Count > 0) list.Add("nets");
        if (arg.T is not null) list.Add("t");
        if (arg.Tensors.Count > 0) list.Add("tensors");
        if (arg.Qtensors.Count > 0) list.Add("qtensors");
        return list;
    }

    /// <summary>A short readable form of the argument's value, e.g. <c>alpha=0.2</c> or <c>shape=[2, 3]</c>.</summary>
    public static string Describe(Argument arg)
    {
        var sb = new StringBuilder(arg.Name).Append('=');
        var inv = CultureInfo.InvariantCulture;
        if (arg.HasF) sb.Append(arg.F.ToString("R", inv));
        else if (arg.HasI) sb.Append(arg.I.ToString(inv));
        else if (arg.HasS) sb.Append('"').Append(arg.S.ToStringUtf8()).Append('"');
        else if (arg.Floats.Count > 0) AppendList(sb, arg.Floats.Select(f => f.ToString("R", inv)));
        else if (arg.Ints.Count > 0) AppendList(sb, arg.Ints.Select(i => i.ToString(inv)));
        else if (arg.Strings.Count > 0) AppendList(sb, arg.Strings.Select(s => "\"" + s.ToStringUtf8() + "\""));
        else if (arg.N is not null) sb.Append("<net ").Append(arg.N.Name).Append('>');
        else if (arg.Nets.Count > 0) sb.Append('<').Append(arg.Nets.Count).Append(" nets>");
        else if (arg.T is not null) sb.Append("<tensor>");
        else if (arg.Tensors.Count > 0) sb.Append('<').Append(arg.Tensors.Count).Append(" tensors>");
        else sb.Append("<no value>");
        return sb.ToString();

        static void AppendList(StringBuilder sb, IEnumerable<string> items)
        {
            const int Max = 8;
            var all = items.ToList();
            sb.Append('[').Append(string.Join(", ", all.Take(Max)));
            if (all.Count > Max) sb.Append(", ... (").Append(all.Count).Append(" values)");
            sb.Append(']');
        }
    }

    private static object ConvertInteger(long v, Type t, string name, string owner)
    {
        (bool ok, object result) = t switch
        {
            _ when t == typeof(long) => (true, (object)v),
            _ when t == typeof(int) => (v is >= int.MinValue and <= int.MaxValue, (object)(int)v),
            _ when t == typeof(short) => (v is >= short.MinValue and <= short.MaxValue, (object)(short)v),
            _ when t == typeof(sbyte) => (v is >= sbyte.MinValue and <= sbyte.MaxValue, (object)(sbyte)v),
            _ when t == typeof(byte) => (v is >= 0 and <= byte.MaxValue, (object)(byte)v),
            _ when t == typeof(ushort) => (v is >= 0 and <= ushort.MaxValue, (object)(ushort)v),
            _ when t == typeof(uint) => (v is >= 0 and <= uint.MaxValue, (object)(uint)v),
            _ when t == typeof(ulong) => (v >= 0, (object)(ulong)v),
            _ when t == typeof(bool) => (v is 0 or 1, (object)(v == 1)),
            _ => throw new NotSupportedException($"Argument '{name}' of {owner}: type {t.Name} is not a Caffe2 argument type."),
        };
        if (!ok)
            throw new EnforceNotMetException($"Argument '{name}' of {owner}: value {v} does not fit {t.Name}.");
        return result;
    }

    private static EnforceNotMetException WrongField(Argument arg, string owner, string expected, string? detail = null)
    {
        var found = SetFields(arg);
        string foundText = found.Count == 0 ? "no value field set" : "found " + string.Join(", ", found);
        return new EnforceNotMetException(
            $"Argument '{arg.Name}' of {owner} does not have the right field: expected field {expected}, {detail ?? foundText}.");
    }
}
