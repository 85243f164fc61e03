// Hand-written.
using Caffe2Sharp.Tests;
using System.Text;
using Caffe2Sharp.TextFormat;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace Caffe2Sharp.Schema.Tests.TextFormat;

// Short alias for the reader/writer under test.
using TextFormat = Caffe2Sharp.TextFormat.ProtoText;

public sealed class TextFormatTests
{
    // ---------------------------------------------------------------- real nets, read in place

    // One placeholder row when ../shared/testdata is absent: discovery never fails, the run skips.
    public static TheoryData<string> PbtxtFiles() => TestData.Caffe2NetFiles("*.pbtxt");

    public static TheoryData<string> BinaryFiles() => TestData.Caffe2NetFiles("*.pb");

    private static NetDef ReadNet(params string[] parts)
    {
        string path = TestData.Path(parts);
        return TextFormat.Parse<NetDef>(File.ReadAllText(path), System.IO.Path.GetFileName(path));
    }

    [SkippableFact]
    public void TestData_LocatesSharedNetsNextToTheRepository()
    {
        Assert.True(File.Exists(System.IO.Path.Combine(TestData.RepoRoot, "Caffe2Sharp.sln")));
        Assert.True(File.Exists(TestData.Path("README.md")));
        Assert.Equal(11, PbtxtFiles().Cast<object>().Count());
    }

    [SkippableTheory]
    [MemberData(nameof(PbtxtFiles))]
    public void RealPbtxt_ParsesAndRoundTripsThroughTextAndBinary(string relativePath)
    {
        NetDef net = ReadNet(relativePath);

        string printed = TextFormat.Print(net);
        NetDef reparsed = TextFormat.Parse<NetDef>(printed, "printed");
        Assert.Equal(net, reparsed);
        Assert.Equal(printed, TextFormat.Print(reparsed));

        NetDef fromBinary = NetDef.Parser.ParseFrom(net.ToByteArray());
        Assert.Equal(net, fromBinary);
    }

    [SkippableTheory]
    [MemberData(nameof(BinaryFiles))]
    public void RealBinaryNet_PrintsToTextThatParsesBackEqual(string relativePath)
    {
        NetDef net = NetDef.Parser.ParseFrom(File.ReadAllBytes(TestData.Path(relativePath)));
        Assert.NotEmpty(net.Op);

        NetDef reparsed = TextFormat.Parse<NetDef>(TextFormat.Print(net));
        Assert.Equal(net, reparsed);
    }

    [SkippableFact]
    public void AlexNet_Has23OpsWithTwoOutputLrnAndInPlaceRelu()
    {
        NetDef net = ReadNet("caffe2-models", "bvlc_alexnet", "predict_net.pbtxt");

        Assert.Equal("AlexNet", net.Name);
        Assert.Equal(23, net.Op.Count);
        OperatorDef lrn = net.Op.First(op => op.Type == "LRN");
        Assert.Equal(["norm1", "_norm1_scale"], lrn.Output);
        Assert.Equal(0.0001f, lrn.Arg.Single(a => a.Name == "alpha").F);
        Assert.Equal("NCHW", lrn.Arg.Single(a => a.Name == "order").S.ToStringUtf8());
        Assert.All(net.Op.Where(op => op.Type == "LRN"), op => Assert.Equal(2, op.Output.Count));
        OperatorDef relu = net.Op[1];
        Assert.Equal("Relu", relu.Type);
        Assert.Equal(relu.Input[0], relu.Output[0]);
        Assert.Equal("prob", Assert.Single(net.ExternalOutput));
        Assert.Equal(17, net.ExternalInput.Count);
    }

    [SkippableFact]
    public void ResNet50_Has175OpsEachWithPresentEmptyDeviceOptionAndEngine()
    {
        NetDef net = ReadNet("caffe2-models", "resnet50", "predict_net.pbtxt");

        Assert.Equal("resnet50", net.Name);
        Assert.Equal(175, net.Op.Count);
        Assert.All(net.Op, op =>
        {
            Assert.NotNull(op.DeviceOption);
            Assert.Equal(new DeviceOption(), op.DeviceOption);
            Assert.True(op.HasEngine);
            Assert.Equal(string.Empty, op.Engine);
            Assert.True(op.HasName);
        });
        Assert.Equal(1.00000006569e-05f, net.Op[1].Arg.Single(a => a.Name == "epsilon").F);

        // Presence survives printing: the empty message and the empty string are written out.
        string printed = TextFormat.Print(net);
        Assert.Contains("  engine: \"\"\n", printed, StringComparison.Ordinal);
        Assert.Contains("  device_option {\n  }\n", printed, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void GlowFcInitNet_HoldsWeights4x3AndBias4()
    {
        NetDef net = ReadNet("glow", "fc_init_net.pbtxt");

        Assert.Equal("init", net.Name);
        Assert.Equal(2, net.Op.Count);
        OperatorDef weights = net.Op[0];
        Assert.Equal("GivenTensorFill", weights.Type);
        Assert.Equal("weights", Assert.Single(weights.Output));
        Assert.Equal([4L, 3L], weights.Arg.Single(a => a.Name == "shape").Ints);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (float)i), weights.Arg.Single(a => a.Name == "values").Floats);
        OperatorDef bias = net.Op[1];
        Assert.Equal("bias", Assert.Single(bias.Output));
        Assert.Equal([4L], bias.Arg.Single(a => a.Name == "shape").Ints);
        Assert.Equal([0.1f, 0.2f, 0.3f, 0.4f], bias.Arg.Single(a => a.Name == "values").Floats);
    }

    [SkippableFact]
    public void GlowFcPredictNet_KeepsExplicitEmptyOpName()
    {
        NetDef net = ReadNet("glow", "fc_predict_net.pbtxt");

        OperatorDef fc = Assert.Single(net.Op);
        Assert.Equal("FC", fc.Type);
        Assert.Equal(["inputs", "weights", "bias"], fc.Input);
        Assert.True(fc.HasName);
        Assert.Equal(["inputs", "weights", "bias"], net.ExternalInput);
        Assert.Equal("fc_result", Assert.Single(net.ExternalOutput));
    }

    [SkippableFact]
    public void GlowConvNets_HaveOneConvAndNoExternalInput()
    {
        NetDef predict = ReadNet("glow", "predict_net.pbtxt");
        OperatorDef conv = Assert.Single(predict.Op);
        Assert.Equal("Conv", conv.Type);
        Assert.Empty(predict.ExternalInput);
        Assert.Equal([2L, 2L], conv.Arg.Single(a => a.Name == "dilations").Ints);
        Assert.Equal(2L, conv.Arg.Single(a => a.Name == "kernel").I);

        NetDef init = ReadNet("glow", "init_net.pbtxt");
        Assert.Equal([1L, 1L, 2L, 2L], init.Op[0].Arg.Single(a => a.Name == "shape").Ints);
        Assert.Equal([2f], init.Op[1].Arg.Single(a => a.Name == "values").Floats);
    }

    [SkippableFact]
    public void GlowSingleOpNets_ParseWhateverTheFieldOrder()
    {
        // multiple_inputs_graph writes type before input.
        OperatorDef add = Assert.Single(ReadNet("glow", "multiple_inputs_graph.pbtxt").Op);
        Assert.Equal("Add", add.Type);
        Assert.Equal(["input1", "input2"], add.Input);

        Assert.Equal("Sigmoid", Assert.Single(ReadNet("glow", "sigmoid.pbtxt").Op).Type);
        OperatorDef prelu = Assert.Single(ReadNet("glow", "prelu.pbtxt").Op);
        Assert.Equal(["prelu_test_input", "slope"], prelu.Input);
    }

    [SkippableFact]
    public void GlowEmptyNets_AreValid()
    {
        NetDef emptyPredict = ReadNet("glow", "empty_predict_net.pbtxt");
        Assert.Equal(new NetDef { ExternalOutput = { "unused_output" } }, emptyPredict);
        Assert.Equal("external_output: \"unused_output\"\n", TextFormat.Print(emptyPredict));

        Assert.Equal(0, new FileInfo(TestData.Path("glow", "empty_init_net.pbtxt")).Length);
        NetDef emptyInit = ReadNet("glow", "empty_init_net.pbtxt");
        Assert.Equal(new NetDef(), emptyInit);
        Assert.Equal(string.Empty, TextFormat.Print(emptyInit));
    }

    // ---------------------------------------------------------------- syntax

    [Theory]
    [InlineData("")]
    [InlineData("   \n\t\r\n  ")]
    [InlineData("# only a comment")]
    [InlineData("# one\n\n  # two\n")]
    [InlineData("\uFEFF")]
    public void EmptyOrCommentOnlyInput_IsAnEmptyMessage(string text)
    {
        Assert.Equal(new NetDef(), TextFormat.Parse<NetDef>(text));
    }

    [Fact]
    public void MessageFields_AcceptBracesColonBracesAndAngleBrackets()
    {
        NetDef net = TextFormat.Parse<NetDef>("""
            op { type: "A" }
            op: { type: "B" }
            op < type: "C" >
            op: < type: "D" arg < name: "x" i: 1 > >
            device_option{device_id:3}
            """);

        Assert.Equal(["A", "B", "C", "D"], net.Op.Select(o => o.Type));
        Assert.Equal(1L, net.Op[3].Arg[0].I);
        Assert.Equal(3, net.DeviceOption.DeviceId);
    }

    [Fact]
    public void Separators_CommasSemicolonsAndCommentsAreAllowedBetweenFields()
    {
        NetDef net = TextFormat.Parse<NetDef>("""
            name: "n", # trailing comment
            external_input: "a"; external_input: "b" ,
            op { type: "T"; input: "a", output: "b" };
            # comment at the end without newline
            """);

        Assert.Equal("n", net.Name);
        Assert.Equal(["a", "b"], net.ExternalInput);
        Assert.Equal("T", net.Op[0].Type);
        Assert.Equal("b", net.Op[0].Output[0]);
    }

    [Fact]
    public void ListSyntax_WorksForScalarsAndMessagesIncludingEmptyLists()
    {
        NetDef net = TextFormat.Parse<NetDef>("""
            external_input: ["a", 'b', "c"]
            external_input: []
            external_output: "z"
            external_output: ["y"]
            op [{ type: "A" }, < type: "B" >]
            op: []
            op: [{ type: "C" arg { ints: [1, -2, 0x10] floats: [1, 2.5, -inf] } }]
            """);

        Assert.Equal(["a", "b", "c"], net.ExternalInput);
        Assert.Equal(["z", "y"], net.ExternalOutput);
        Assert.Equal(["A", "B", "C"], net.Op.Select(o => o.Type));
        Argument arg = net.Op[2].Arg[0];
        Assert.Equal([1L, -2L, 16L], arg.Ints);
        Assert.Equal([1f, 2.5f, float.NegativeInfinity], arg.Floats);
    }

    [Fact]
    public void StringLiterals_DecodeAllEscapesAndConcatenate()
    {
        Argument arg = TextFormat.Parse<Argument>("""
            name: "a\n\t\\\'\"b" 'single "quoted"' "\101\x41\x4a\u00e9\U0001F600\ud83d\ude00\a\b\f\r\v\?" "" ''
            """);

        Assert.Equal("a\n\t\\'\"bsingle \"quoted\"AAJé😀😀\a\b\f\r\v?", arg.Name);
    }

    [Fact]
    public void StringField_AcceptsUtf8GivenAsOctalBytesAndLiteralCharacters()
    {
        Assert.Equal("é€", TextFormat.Parse<Argument>("name: \"\\303\\251€\"").Name);
    }

    [Fact]
    public void BytesField_TakesRawBytesFromOctalAndHexEscapes()
    {
        Argument arg = TextFormat.Parse<Argument>("s: \"\\000\\377\\x80a\\1\\12é\" strings: 'x' strings: \"\\xff\"");

        Assert.Equal(new byte[] { 0, 255, 0x80, (byte)'a', 1, 10, 0xC3, 0xA9 }, arg.S.ToByteArray());
        Assert.Equal(new byte[] { (byte)'x' }, arg.Strings[0].ToByteArray());
        Assert.Equal(new byte[] { 0xFF }, arg.Strings[1].ToByteArray());
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("42", 42L)]
    [InlineData("-42", -42L)]
    [InlineData("- 7", -7L)]
    [InlineData("0x1F", 31L)]
    [InlineData("0XfF", 255L)]
    [InlineData("-0x10", -16L)]
    [InlineData("017", 15L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    [InlineData("0x7fffffffffffffff", long.MaxValue)]
    [InlineData("-0x8000000000000000", long.MinValue)]
    public void Int64Field_AcceptsDecimalHexOctalAndFullRange(string text, long expected)
    {
        Assert.Equal(expected, TextFormat.Parse<Argument>($"i: {text}").I);
    }

    [Fact]
    public void Int32AndUInt32Fields_AcceptTheirFullRanges()
    {
        Assert.Equal(int.MinValue, TextFormat.Parse<DeviceOption>("device_id: -2147483648").DeviceId);
        Assert.Equal(int.MaxValue, TextFormat.Parse<DeviceOption>("device_id: 0x7FFFFFFF").DeviceId);
        Assert.Equal(uint.MaxValue, TextFormat.Parse<DeviceOption>("random_seed: 4294967295").RandomSeed);
        Assert.Equal(uint.MaxValue, TextFormat.Parse<TensorProto>("data_format: 0xffffffff").DataFormat);
    }

    [Theory]
    [InlineData("1", 1f)]
    [InlineData("1.5", 1.5f)]
    [InlineData("-2e-3", -2e-3f)]
    [InlineData("1.0f", 1f)]
    [InlineData("2F", 2f)]
    [InlineData(".5", 0.5f)]
    [InlineData("1.", 1f)]
    [InlineData("1E+2", 100f)]
    [InlineData("0.1", 0.1f)]
    [InlineData("1.00000006569e-05", 1.00000006569e-05f)]
    [InlineData("inf", float.PositiveInfinity)]
    [InlineData("-inf", float.NegativeInfinity)]
    [InlineData("Infinity", float.PositiveInfinity)]
    [InlineData("-INF", float.NegativeInfinity)]
    [InlineData("1e39", float.PositiveInfinity)]
    [InlineData("99999999999999999999999", 1e23f)]
    public void FloatField_AcceptsProtobufNumberSpellings(string text, float expected)
    {
        Assert.Equal(expected, TextFormat.Parse<Argument>($"f: {text}").F);
    }

    [Theory]
    [InlineData("nan")]
    [InlineData("NaN")]
    [InlineData("-nan")]
    public void FloatField_AcceptsNanInAnyCase(string text)
    {
        Assert.True(float.IsNaN(TextFormat.Parse<Argument>($"f: {text}").F));
    }

    [Fact]
    public void Nan_IsTheCanonicalPositiveQuietNanThatProtobufWrites()
    {
        Assert.Equal(0x7FC00000, BitConverter.SingleToInt32Bits(TextFormat.Parse<Argument>("f: -NaN").F));
        Assert.Equal(0x7FF8000000000000, BitConverter.DoubleToInt64Bits(TextFormat.Parse<TensorProto>("double_data: nan").DoubleData[0]));
    }

    [Fact]
    public void FloatField_NegativeZeroKeepsItsSign()
    {
        Assert.True(float.IsNegative(TextFormat.Parse<Argument>("f: -0").F));
        Assert.True(double.IsNegative(TextFormat.Parse<TensorProto>("double_data: -0.0").DoubleData[0]));
    }

    [Fact]
    public void DoubleField_ReadsFullPrecision()
    {
        TensorProto t = TextFormat.Parse<TensorProto>("double_data: [0.1, 1e300, 5e-324, -1.7976931348623157e308, 3]");

        Assert.Equal([0.1, 1e300, double.Epsilon, double.MinValue, 3d], t.DoubleData);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("True", true)]
    [InlineData("t", true)]
    [InlineData("1", true)]
    [InlineData("false", false)]
    [InlineData("False", false)]
    [InlineData("f", false)]
    [InlineData("0", false)]
    public void BoolField_AcceptsProtobufSpellings(string text, bool expected)
    {
        OperatorDef op = TextFormat.Parse<OperatorDef>($"is_gradient_op: {text}");
        Assert.True(op.HasIsGradientOp);
        Assert.Equal(expected, op.IsGradientOp);
    }

    [Fact]
    public void EnumField_AcceptsNameOrNumber()
    {
        Assert.Equal(DataType.Int64, TextFormat.Parse<TensorProto>("data_type: INT64").DataType);
        Assert.Equal(DataType.Double, TextFormat.Parse<TensorProto>("data_type: 13").DataType);

        // Numbers outside the enum are kept (and printed back as numbers), so nothing is lost.
        TensorProto unknown = TextFormat.Parse<TensorProto>("data_type: 99");
        Assert.Equal(99, (int)unknown.DataType);
        Assert.Equal("data_type: 99\n", TextFormat.Print(unknown));
    }

    [Fact]
    public void Argument_AllValueKindsParse()
    {
        Argument arg = TextFormat.Parse<Argument>("""
            name: "everything"
            f: 0.25
            i: -3
            s: "bytes\001"
            floats: 1 floats: 2.5
            ints: 7 ints: [8, 9]
            strings: "x" strings: "\377"
            n { name: "inner" op { type: "Relu" arg { name: "deeper" n { name: "deepest" } } } }
            nets { name: "a" } nets { name: "b" }
            t { dims: [2, 3] data_type: FLOAT float_data: [1, 2, 3, 4, 5, 6] name: "t" raw_data: "\000\001" data_format: 1 segment { begin: 0 end: 6 } }
            tensors { double_data: [1.5] } tensors { int64_data: -1 }
            qtensors { dims: 2 precision: 8 scale: 0.5 bias: -1 is_signed: true data: [1, -1] data_type: UINT8 axis: 1 }
            """);

        Assert.Equal("everything", arg.Name);
        Assert.Equal(0.25f, arg.F);
        Assert.Equal(-3L, arg.I);
        Assert.Equal(new byte[] { (byte)'b', (byte)'y', (byte)'t', (byte)'e', (byte)'s', 1 }, arg.S.ToByteArray());
        Assert.Equal([1f, 2.5f], arg.Floats);
        Assert.Equal([7L, 8L, 9L], arg.Ints);
        Assert.Equal(0xFF, arg.Strings[1][0]);
        Assert.Equal("deepest", arg.N.Op[0].Arg[0].N.Name);
        Assert.Equal(["a", "b"], arg.Nets.Select(n => n.Name));
        Assert.Equal([2L, 3L], arg.T.Dims);
        Assert.Equal(6L, arg.T.Segment.End);
        Assert.Equal(1u, arg.T.DataFormat);
        Assert.Equal(new byte[] { 0, 1 }, arg.T.RawData.ToByteArray());
        Assert.Equal(-1L, arg.Tensors[1].Int64Data[0]);
        Assert.Equal(DataType.Uint8, arg.Qtensors[0].DataType);
        Assert.Equal([1, -1], arg.Qtensors[0].Data);

        AssertRoundTrips(arg);
    }

    [Fact]
    public void Merge_AppendsRepeatedAndMergesIntoExistingMessages()
    {
        var net = new NetDef { Name = "n", ExternalInput = { "a" }, DeviceOption = new DeviceOption { DeviceId = 1 } };

        TextFormat.Merge(net, "external_input: \"b\" device_option { random_seed: 5 } name: \"m\"");

        Assert.Equal("m", net.Name);
        Assert.Equal(["a", "b"], net.ExternalInput);
        Assert.Equal(1, net.DeviceOption.DeviceId);
        Assert.Equal(5u, net.DeviceOption.RandomSeed);
    }

    [Fact]
    public void ParseByDescriptor_CreatesTheGeneratedType()
    {
        IMessage message = TextFormat.Parse(OperatorDef.Descriptor, "type: \"Relu\"");

        OperatorDef op = Assert.IsType<OperatorDef>(message);
        Assert.Equal("Relu", op.Type);
    }

    [Fact]
    public void MapsAndOneofs_WorkThroughDescriptors()
    {
        // Caffe2's proto has neither; google.protobuf.Struct has both (map<string, Value>, oneof kind).
        Struct s = TextFormat.Parse<Struct>("""
            fields { key: "b" value { number_value: 1.5 } }
            fields < key: "a", value: < list_value { values { string_value: "x" } values { bool_value: true } } > >
            fields { key: "c" value { null_value: NULL_VALUE } }
            fields [{ key: "d" }]
            """);

        Assert.Equal(1.5, s.Fields["b"].NumberValue);
        Assert.Equal("x", s.Fields["a"].ListValue.Values[0].StringValue);
        Assert.Equal(Value.KindOneofCase.NullValue, s.Fields["c"].KindCase);
        Assert.Equal(new Value(), s.Fields["d"]);
        string printed = TextFormat.Print(s);
        Assert.StartsWith("fields {\n  key: \"a\"\n  value {\n    list_value {\n", printed, StringComparison.Ordinal);
        AssertRoundTrips(s);
    }

    // ---------------------------------------------------------------- printing

    [Fact]
    public void Print_WritesPresentFieldsInFieldNumberOrderWithTwoSpaceIndent()
    {
        var net = new NetDef
        {
            ExternalOutput = { "y" },
            Op =
            {
                new OperatorDef
                {
                    Type = "Scale",
                    Input = { "x" },
                    Output = { "y" },
                    Arg = { new Argument { Name = "scale", F = 0.5f }, new Argument { Name = "dims", Ints = { 1, 2 } } },
                    DeviceOption = new DeviceOption(),
                },
            },
            Name = "net",
        };

        Assert.Equal("""
            name: "net"
            op {
              input: "x"
              output: "y"
              type: "Scale"
              arg {
                name: "scale"
                f: 0.5
              }
              arg {
                name: "dims"
                ints: 1
                ints: 2
              }
              device_option {
              }
            }
            external_output: "y"

            """.ReplaceLineEndings("\n"), TextFormat.Print(net));
    }

    [Fact]
    public void Print_ExplicitDefaultsArePresentButUnsetFieldsAreNot()
    {
        var t = new TensorProto { DataType = DataType.Float, DataFormat = 0 };
        Assert.Equal("data_type: FLOAT\ndata_format: 0\n", TextFormat.Print(t));

        t.ClearDataFormat();
        t.ClearDataType();
        Assert.Equal(string.Empty, TextFormat.Print(t));
    }

    [Theory]
    [InlineData(1f, "1")]
    [InlineData(0.1f, "0.1")]
    [InlineData(-2.5f, "-2.5")]
    [InlineData(1e-5f, "1e-05")]
    [InlineData(3.4028235e38f, "3.4028235e+38")]
    [InlineData(float.PositiveInfinity, "inf")]
    [InlineData(float.NegativeInfinity, "-inf")]
    [InlineData(float.NaN, "nan")]
    [InlineData(-0f, "-0")]
    public void Print_FloatsUseShortestRoundTripForm(float value, string expected)
    {
        Assert.Equal($"f: {expected}\n", TextFormat.Print(new Argument { F = value }));
    }

    [Fact]
    public void Print_FloatsAndDoublesRoundTripBitExactly()
    {
        var random = new Random(1234);
        var arg = new Argument();
        var tensor = new TensorProto();
        for (int i = 0; i < 2000; i++)
        {
            float f = BitConverter.Int32BitsToSingle(random.Next() ^ (random.Next() << 1));
            double d = BitConverter.Int64BitsToDouble(random.NextInt64() ^ (random.NextInt64() << 1));
            arg.Floats.Add(float.IsNaN(f) ? 0f : f);
            tensor.DoubleData.Add(double.IsNaN(d) ? 0d : d);
        }

        arg.Floats.Add([float.Epsilon, float.MaxValue, float.MinValue, -0f, 16777217f, 0.3f]);
        tensor.DoubleData.Add([double.Epsilon, double.MaxValue, double.MinValue, -0d, 0.1 + 0.2]);

        Argument argBack = TextFormat.Parse<Argument>(TextFormat.Print(arg));
        TensorProto tensorBack = TextFormat.Parse<TensorProto>(TextFormat.Print(tensor));

        Assert.Equal(arg.Floats.Select(BitConverter.SingleToInt32Bits), argBack.Floats.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(tensor.DoubleData.Select(BitConverter.DoubleToInt64Bits), tensorBack.DoubleData.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void Print_BytesOfEveryValueRoundTripAsPrintableAscii()
    {
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var arg = new Argument { S = ByteString.CopyFrom(all), Name = "é\n\"'\\😀" };

        string printed = TextFormat.Print(arg);

        Assert.All(printed, c => Assert.True(c == '\n' || (c >= ' ' && c < '\x7f'), $"unexpected char U+{(int)c:X4}"));
        Assert.StartsWith("name: \"\\303\\251\\n\\\"\\'\\\\\\360\\237\\230\\200\"\ns: \"\\000\\001", printed, StringComparison.Ordinal);
        AssertRoundTrips(arg);
    }

    [Fact]
    public void Print_IntegersAtTheirLimitsRoundTrip()
    {
        var message = new Argument { I = long.MinValue, Ints = { long.MaxValue, 0, -1 } };
        Assert.Equal("i: -9223372036854775808\nints: 9223372036854775807\nints: 0\nints: -1\n", TextFormat.Print(message));
        AssertRoundTrips(message);
        AssertRoundTrips(new DeviceOption { DeviceId = int.MinValue, RandomSeed = uint.MaxValue, DeviceType = int.MaxValue });
    }

    private static void AssertRoundTrips<T>(T message)
        where T : IMessage<T>, new()
    {
        string printed = TextFormat.Print(message);
        T back = TextFormat.Parse<T>(printed);
        Assert.Equal(message, back);
        Assert.Equal(printed, TextFormat.Print(back));
    }

    // ---------------------------------------------------------------- errors, with exact positions

    private static TextFormatException AssertError<T>(string text, int line, int column, string expectedReasonPart)
        where T : IMessage<T>, new()
    {
        TextFormatException e = Assert.Throws<TextFormatException>(() => TextFormat.Parse<T>(text, "test.pbtxt"));
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.Contains(expectedReasonPart, e.Reason, StringComparison.Ordinal);
        Assert.Equal($"test.pbtxt:{line}:{column}: {e.Reason}", e.Message);
        Assert.Equal("test.pbtxt", e.SourceName);
        return e;
    }

    [Fact]
    public void Error_MessageReadsLikeACompilerDiagnostic()
    {
        string text = string.Concat(Enumerable.Repeat("external_input: \"x\"\n", 11)) + "op{arg}\n";

        TextFormatException e = Assert.Throws<TextFormatException>(() => TextFormat.Parse<NetDef>(text, "predict_net.pbtxt"));

        Assert.Equal("predict_net.pbtxt:12:7: expected ':' or '{' after field name 'arg', found '}'", e.Message);
        Assert.IsAssignableFrom<FormatException>(e);
    }

    [Fact]
    public void Error_WithoutSourceName_UsesPlaceholder()
    {
        TextFormatException e = Assert.Throws<TextFormatException>(() => TextFormat.Parse<NetDef>("nme: 1"));
        Assert.StartsWith("<text>:1:1: ", e.Message, StringComparison.Ordinal);
        Assert.Null(e.SourceName);
    }

    [Fact]
    public void Error_UnknownField_NamesFieldAndMessageType()
    {
        AssertError<NetDef>("name: \"n\"\nop {\n  type: \"Relu\"\n  typo: 1\n}\n", 4, 3, "message type caffe2.OperatorDef has no field named 'typo'");
    }

    [Fact]
    public void Error_FieldNamesAreCaseSensitiveAndNotJsonNames()
    {
        AssertError<NetDef>("externalInput: \"x\"", 1, 1, "no field named 'externalInput'");
        AssertError<NetDef>("Name: \"x\"", 1, 1, "no field named 'Name'");
    }

    [Theory]
    [InlineData("name: \"x\" @", 1, 11, "expected field name in message caffe2.NetDef, found '@'")]
    [InlineData("name \"x\"", 1, 6, "expected ':' after field name 'name', found \"x\"")]
    [InlineData("name: x", 1, 7, "expected a quoted string for field 'name', found 'x'")]
    [InlineData("op: \"x\"", 1, 5, "expected '{' or '<' to start the value of message field 'op', found \"x\"")]
    [InlineData("op { type: \"x\" >", 1, 16, "expected '}' to close message caffe2.OperatorDef opened at 1:4, found '>'")]
    [InlineData("}", 1, 1, "unmatched '}': no message is open")]
    [InlineData("num_workers: 1.5", 1, 14, "expected an integer for int32 field 'num_workers', found '1.5'")]
    [InlineData("num_workers: 12abc", 1, 16, "need space between number and 'a'")]
    [InlineData("num_workers: 08", 1, 15, "numbers starting with a leading zero must be octal")]
    [InlineData("num_workers: 0x", 1, 16, "'0x' must be followed by hex digits")]
    [InlineData("op { arg { f: 1e } }", 1, 17, "exponent must be followed by digits")]
    [InlineData("op { arg { f: 0x10 } }", 1, 15, "hex and octal are not allowed here")]
    [InlineData("op { arg { f: \"1\" } }", 1, 15, "expected a number for float field 'f', found \"1\"")]
    [InlineData("op { is_gradient_op: yes }", 1, 22, "expected true or false for bool field 'is_gradient_op', found 'yes'")]
    [InlineData("op { is_gradient_op: 2 }", 1, 22, "expected true or false")]
    [InlineData("name: [\"a\"]", 1, 7, "list syntax '[...]' is only allowed for repeated fields; 'name' is not repeated")]
    [InlineData("external_input: [\"a\" \"b\"", 1, 25, "unexpected end of input in list of field 'external_input'")]
    [InlineData("external_input: [\"a\"; \"b\"]", 1, 21, "expected ',' or ']' in list of field 'external_input', found ';'")]
    [InlineData("[caffe2.ext]: 1", 1, 1, "extension syntax '[...]' is not supported")]
    [InlineData("name: \"\\q\"", 1, 8, "invalid escape sequence '\\q'")]
    [InlineData("name: \"ab\\400\"", 1, 10, "octal escape '\\400' is greater than \\377")]
    [InlineData("name: \"\\x\"", 1, 8, "'\\x' must be followed by a hex digit")]
    [InlineData("name: \"\\u12\"", 1, 8, "'\\u' must be followed by 4 hex digits")]
    [InlineData("name: \"\\ud800\"", 1, 8, "is not a valid Unicode scalar value")]
    [InlineData("name: \"\\U00110000\"", 1, 8, "is not a valid Unicode scalar value")]
    [InlineData("name: \"\\377\"", 1, 7, "value of string field 'name' is not valid UTF-8")]
    public void Error_BadTokensAndValues_ReportExactPosition(string text, int line, int column, string reason)
    {
        AssertError<NetDef>(text, line, column, reason);
    }

    [Theory]
    [InlineData("name: \"abc", 1, 7)]
    [InlineData("name: 'abc\"", 1, 7)]
    [InlineData("op {\n  type: \"Relu\n\"\n}", 2, 9)]
    [InlineData("name: \"abc\\", 1, 7)]
    public void Error_UnterminatedString_PointsAtTheOpeningQuote(string text, int line, int column)
    {
        AssertError<NetDef>(text, line, column, "unterminated string literal");
    }

    [Fact]
    public void Error_UnclosedBrace_ReportsEndOfInputAndWhereTheMessageOpened()
    {
        AssertError<NetDef>("name: \"n\"\nop {\n  arg {\n    name: \"x\"\n  }\n", 6, 1, "unexpected end of input: message caffe2.OperatorDef opened at 2:4 is not closed; expected '}'");
        AssertError<NetDef>("op < type: \"x\"", 1, 15, "opened at 1:4 is not closed; expected '>'");
        AssertError<NetDef>("op {", 1, 5, "is not closed");
        AssertError<NetDef>("op", 1, 3, "expected ':' or '{' after field name 'op', found end of input");
        AssertError<NetDef>("name:", 1, 6, "expected a quoted string for field 'name', found end of input");
    }

    [Fact]
    public void Error_DuplicateSingularField_NamesFieldAndFirstLine()
    {
        AssertError<NetDef>("name: \"a\"\nop { type: \"x\" }\nname: \"b\"", 3, 1, "non-repeated field 'name' is specified multiple times (first at line 1)");
        AssertError<NetDef>("op {\n  device_option {}\n  device_option {}\n}", 3, 3, "non-repeated field 'device_option' is specified multiple times (first at line 2)");

        // Each message body is checked on its own: the same field in two ops is fine.
        Assert.Equal(2, TextFormat.Parse<NetDef>("op { name: \"a\" } op { name: \"b\" }").Op.Count);
    }

    [Fact]
    public void Error_BadEnumName_NamesValueAndEnumType()
    {
        AssertError<TensorProto>("dims: 1\ndata_type: FLOATY", 2, 12, "unknown value 'FLOATY' for enum field 'data_type' of type caffe2.TensorProto.DataType");
        AssertError<TensorProto>("data_type: float", 1, 12, "unknown value 'float'");
        AssertError<TensorProto>("data_type: 1.5", 1, 12, "expected an enum value name or number");
    }

    [Theory]
    [InlineData("i: 9223372036854775808", 1, 4, "integer 9223372036854775808 is out of range for int64 field 'i'")]
    [InlineData("i: -9223372036854775809", 1, 4, "integer -9223372036854775809 is out of range for int64 field 'i'")]
    [InlineData("i: 18446744073709551616", 1, 4, "integer 18446744073709551616 is out of range for int64 field 'i'")]
    [InlineData("i: 0x10000000000000000", 1, 4, "out of range")]
    [InlineData("t { data_format: -1 }", 1, 18, "integer -1 is out of range for uint32 field 'data_format'")]
    [InlineData("t { data_format: 4294967296 }", 1, 18, "out of range for uint32")]
    [InlineData("t { data_type: 2147483648 }", 1, 16, "out of range for enum field 'data_type'")]
    public void Error_IntegerOutOfRange_IsRejected(string text, int line, int column, string reason)
    {
        AssertError<Argument>(text, line, column, reason);
    }

    [Fact]
    public void Error_Int32OutOfRange_IsRejected()
    {
        AssertError<DeviceOption>("device_id: 2147483648", 1, 12, "out of range for int32 field 'device_id'");
        AssertError<DeviceOption>("device_id: -2147483649", 1, 12, "out of range for int32 field 'device_id'");
    }

    [Fact]
    public void Error_MissingRequiredField_IsReportedWhereTheMessageCloses()
    {
        AssertError<TensorProto>("segment {\n  begin: 0\n}", 3, 1, "message caffe2.TensorProto.Segment is missing required field 'end'");
    }

    [Fact]
    public void Error_TwoMembersOfOneOneof_AreRejected()
    {
        AssertError<Value>("number_value: 1\nstring_value: \"x\"", 2, 1, "field 'string_value' is specified along with field 'number_value', another member of oneof 'kind'");
    }

    [Fact]
    public void Error_AnyExpansionSyntax_IsRejectedClearly()
    {
        AssertError<Any>("[type.googleapis.com/caffe2.NetDef] { name: \"x\" }", 1, 1, "the expanded Any syntax '[type_url] { ... }' is not supported");
    }

    [Theory]
    [InlineData("\0\u0001\u00ff", 1, 1, "unexpected character U+0000")]
    [InlineData("name: \"x\"\n\u0007", 2, 1, "unexpected character U+0007")]
    [InlineData("op { type: \"x\" }\n  é", 2, 3, "unexpected character U+00E9")]
    [InlineData("\u0089PNG\r\n\u001a\n", 1, 1, "unexpected character U+0089")]
    public void Error_GarbageBytes_AreRejectedWithPosition(string text, int line, int column, string reason)
    {
        AssertError<NetDef>(text, line, column, reason);
    }

    [Fact]
    public void Error_LoneSurrogateInStringLiteral_IsRejectedWithPosition()
    {
        // Built at run time: attribute arguments cannot carry a lone surrogate.
        string text = "name: \"a" + (char)0xD800 + "\"";
        AssertError<NetDef>(text, 1, 9, "invalid UTF-16 character U+D800 in string literal");
    }

    [SkippableFact]
    public void Error_BinaryProtobufReadAsText_IsATextFormatException()
    {
        byte[] binary = File.ReadAllBytes(TestData.Path("squeezenet", "predict_net.pb"));

        Assert.Throws<TextFormatException>(() => TextFormat.Parse<NetDef>(Encoding.Latin1.GetString(binary)));
        Assert.Throws<TextFormatException>(() => TextFormat.Parse<NetDef>(Encoding.UTF8.GetString(binary)));
    }

    [Fact]
    public void Error_DeepNesting_IsRejectedInsteadOfOverflowingTheStack()
    {
        string deep = string.Concat(Enumerable.Repeat("n { arg { ", 100_000));

        TextFormatException e = Assert.Throws<TextFormatException>(() => TextFormat.Parse<Argument>(deep));
        Assert.Contains("nested more than 100 deep", e.Reason, StringComparison.Ordinal);

        // 100 levels are fine.
        string ok = string.Concat(Enumerable.Repeat("n { arg { ", 50)) + string.Concat(Enumerable.Repeat("} } ", 50));
        Assert.NotNull(TextFormat.Parse<Argument>(ok).N);
    }

    [SkippableFact]
    public void Garbage_EveryPrefixAndRandomMutationOfARealNet_ParsesOrThrowsTextFormatException()
    {
        string text = File.ReadAllText(TestData.Path("caffe2-models", "bvlc_alexnet", "predict_net.pbtxt"));
        for (int length = 0; length <= text.Length; length++)
        {
            ParseOrTextFormatException(text[..length]);
        }

        const string alphabet = "{}<>[]:;,-.\"'\\#\n 0123456789xefinat_\0\u00ff\ud800";
        var random = new Random(42);
        for (int round = 0; round < 3000; round++)
        {
            var sb = new StringBuilder(text);
            for (int edits = random.Next(1, 6); edits > 0; edits--)
            {
                int at = random.Next(sb.Length);
                switch (random.Next(3))
                {
                    case 0: sb.Remove(at, Math.Min(random.Next(1, 20), sb.Length - at)); break;
                    case 1: sb.Insert(at, alphabet[random.Next(alphabet.Length)]); break;
                    default: sb[at] = alphabet[random.Next(alphabet.Length)]; break;
                }
            }

            ParseOrTextFormatException(sb.ToString());
        }

        for (int round = 0; round < 2000; round++)
        {
            char[] noise = new char[random.Next(0, 64)];
            for (int i = 0; i < noise.Length; i++)
            {
                noise[i] = random.Next(4) == 0 ? (char)random.Next(0, 0x10000) : alphabet[random.Next(alphabet.Length)];
            }

            ParseOrTextFormatException(new string(noise));
        }

        static void ParseOrTextFormatException(string input)
        {
            try
            {
                NetDef net = TextFormat.Parse<NetDef>(input);
                Assert.Equal(net, TextFormat.Parse<NetDef>(TextFormat.Print(net)));
            }
            catch (TextFormatException e)
            {
                Assert.True(e.Line >= 1 && e.Column >= 1, e.Message);
            }
        }
    }

    [Fact]
    public void NullArguments_ThrowArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => TextFormat.Parse<NetDef>(null!));
        Assert.Throws<ArgumentNullException>(() => TextFormat.Parse((MessageDescriptor)null!, ""));
        Assert.Throws<ArgumentNullException>(() => TextFormat.Print(null!));
        Assert.Throws<ArgumentNullException>(() => TextFormat.Merge(null!, ""));
    }
}
