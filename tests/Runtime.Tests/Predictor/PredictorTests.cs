using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Runtime.Tests.Predictor;

public class PredictorTests
{
    // Init: W = [2, 3, 4]. Predict: Y = (X * W) * 0.5, on 3 floats.
    private static NetDef Init()
    {
        var n = new NetDef { Name = "init" };
        n.Op.Add(TestOps.Fill("W", 2, 3, 4));
        return n;
    }

    private static NetDef Predict(string name = "p")
    {
        var n = new NetDef { Name = name };
        n.Op.Add(TestOps.Mul("X", "W", "XW"));
        n.Op.Add(TestOps.Scale("XW", "Y", 0.5f));
        n.ExternalInput.Add("X");
        n.ExternalInput.Add("W");
        n.ExternalOutput.Add("Y");
        return n;
    }

    private static Tensor F(params float[] values) => Tensor.From(values);

    private static float[] Expected(float[] x) => [x[0] * 2 * 0.5f, x[1] * 3 * 0.5f, x[2] * 4 * 0.5f];

    private static Runtime.Predictor NewPredictor(NetDef? predict = null, PredictorOptions? options = null) =>
        new(TestOps.Catalog(), Init(), predict ?? Predict(), options);

    [Fact]
    public void Run_ByPositionAndByName_ReturnsTheOutputs()
    {
        var p = NewPredictor();
        Assert.Equal(["X"], p.InputNames); // W comes from the init net
        Assert.Equal(["Y"], p.OutputNames);
        var y = Assert.Single(p.Run(F(1f, 2f, 3f)));
        Assert.Equal(Expected([1, 2, 3]), y.ToArray<float>());
        var byName = p.Run(new Dictionary<string, Tensor> { ["X"] = F(-2f, 0f, 10f) });
        Assert.Equal(["Y"], byName.Keys);
        Assert.Equal(Expected([-2, 0, 10]), byName["Y"].ToArray<float>());
    }

    [Fact]
    public void Weights_AreLoadedOnce_IntoTheParent_AndSiblingsShareThem()
    {
        var weights = new Workspace(TestOps.Catalog());
        int initRuns = 0;
        weights.AddNetObserver(net => net.Name == "init" ? new CountRuns(() => initRuns++) : null);
        var p = new Runtime.Predictor(weights, Init(), Predict());
        var s1 = p.CreateSibling();
        var s2 = s1.CreateSibling();
        Assert.Equal(1, initRuns);
        foreach (var q in new[] { p, s1, s2 })
        {
            Assert.Same(weights, q.Weights);
            Assert.Same(weights, q.Workspace.Parent);
            // W may be fed by name (an optional input), so each child has a blob for it, holding
            // the weights' own tensor: shared, not copied.
            Assert.Same(weights.GetBlob("W")!.GetTensor(), q.Workspace.GetBlob("W")!.GetTensor());
            Assert.Equal(Expected([1, 1, 1]), q.Run(F(1f, 1f, 1f))[0].ToArray<float>());
        }
        Assert.NotSame(p.Workspace, s1.Workspace);
        Assert.Equal(["W"], weights.Blobs); // activations and inputs live in the children
        Assert.Equal(1, initRuns);
    }

    private sealed class CountRuns(Action onRun) : INetObserver
    {
        public void OnNetStart(NetBase net) { }
        public void OnNetStop(NetBase net) => onRun();
        public void OnOperatorStart(NetBase net, int index) { }
        public void OnOperatorStop(NetBase net, int index) { }
    }

    [Fact]
    public void TwoPredictorsOnTwoThreads_MatchSequentialRuns()
    {
        var first = NewPredictor();
        var second = first.CreateSibling();
        const int Runs = 300;
        float[] Input(int thread, int k) => [k, thread * 1000 + k, -k * 0.25f];
        var sequential = new float[2][][];
        for (int t = 0; t < 2; t++)
            sequential[t] = [.. Enumerable.Range(0, Runs).Select(k => first.Run(Tensor.From<float>(Input(t, k)))[0].ToArray<float>())];

        var concurrent = new float[2][][];
        using var start = new Barrier(2);
        var threads = new[] { first, second }.Select((p, t) => new Thread(() =>
        {
            var results = new float[Runs][];
            start.SignalAndWait();
            for (int k = 0; k < Runs; k++) results[k] = p.Run(Tensor.From<float>(Input(t, k)))[0].ToArray<float>();
            concurrent[t] = results;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        for (int t = 0; t < 2; t++)
            for (int k = 0; k < Runs; k++)
            {
                Assert.Equal(Expected(Input(t, k)), sequential[t][k]);
                Assert.Equal(sequential[t][k], concurrent[t][k]);
            }
    }

    [Fact]
    public void Outputs_AreOwnedByTheCaller()
    {
        var p = NewPredictor();
        var first = p.Run(F(1f, 1f, 1f))[0];
        var second = p.Run(F(2f, 2f, 2f))[0];
        Assert.Equal(Expected([1, 1, 1]), first.ToArray<float>());
        Assert.Equal(Expected([2, 2, 2]), second.ToArray<float>());
        Assert.NotSame(p.Workspace.GetBlob("Y")!.GetTensor(), second);
        second.Data<float>()[0] = 999;
        Assert.Equal(Expected([2, 2, 2]), p.Workspace.FetchBlob<float>("Y"));
    }

    [Fact]
    public void Inputs_AreCopied_TheCallersTensorIsNotKept()
    {
        var p = NewPredictor();
        var x = F(1f, 2f, 3f);
        p.Run(x);
        x.Data<float>()[0] = 100;
        Assert.Equal([1f, 2f, 3f], p.Workspace.FetchBlob<float>("X"));
    }

    [Fact]
    public void Inputs_AreValidated_WithClearMessages()
    {
        var p = NewPredictor();
        var x = F(1f, 2f, 3f);
        EnforceNotMetException Fails(Action a) => Assert.Throws<EnforceNotMetException>(a);
        Assert.Equal("Predictor of net 'p': unknown input 'Z'; expected inputs: X.",
            Fails(() => p.Run(new Dictionary<string, Tensor> { ["X"] = x, ["Z"] = x })).Message);
        // W is held by the weights and read by the net, so it is an optional input; XW is not an input at all.
        Assert.Equal("Predictor of net 'p': unknown input 'XW'; expected inputs: X.",
            Fails(() => p.Run(new Dictionary<string, Tensor> { ["X"] = x, ["XW"] = x })).Message);
        Assert.Equal("Predictor of net 'p': input 'X' is missing; expected inputs: X.",
            Fails(() => p.Run(new Dictionary<string, Tensor> { ["W"] = x })).Message);
        Assert.Equal("Predictor of net 'p': input 'X' is missing; expected inputs: X.",
            Fails(() => p.Run(new Dictionary<string, Tensor>())).Message);
        Assert.Equal("Predictor of net 'p': expects 1 input(s) (X), got 2.", Fails(() => p.Run(x, x)).Message);
        Assert.Equal("Predictor of net 'p': expects 1 input(s) (X), got 0.", Fails(() => p.Run()).Message);
    }

    [Fact]
    public void DeclaredShapes_FromTheNetArgument_AreChecked()
    {
        var def = Predict();
        var shape = new TensorProto { Name = "X", DataType = DataType.Float };
        shape.Dims.Add(3);
        def.Arg.Add(ArgumentHelper.MakeRepeatedArgument(Runtime.Predictor.InputShapeInfoArgument, [shape]));
        var p = NewPredictor(def);
        Assert.Equal("FLOAT[3]", p.DeclaredShape("X")!.Describe());
        Assert.Equal("Predictor of net 'p': input 'X' is FLOAT[2]; the net declares FLOAT[3] (a negative dim is any size).",
            Assert.Throws<EnforceNotMetException>(() => p.Run(F(1f, 2f))).Message);
        Assert.Equal("Predictor of net 'p': input 'X' is INT32[3]; the net declares FLOAT[3] (a negative dim is any size).",
            Assert.Throws<EnforceNotMetException>(() => p.Run(Tensor.From(new[] { 1, 2, 3 }))).Message);
        Assert.Equal(Expected([1, 2, 3]), p.Run(F(1f, 2f, 3f))[0].ToArray<float>());
    }

    [Fact]
    public void DeclaredShapes_FromOptions_AcceptAnySizeForNegativeDims_AndOverrideTheNet()
    {
        var def = Predict();
        def.Op[0] = TestOps.Scale("X", "XW", 1); // no weights needed: any length runs
        def.Arg.Add(ArgumentHelper.MakeRepeatedArgument(Runtime.Predictor.InputShapeInfoArgument, [new TensorProto { Name = "X", DataType = DataType.Int32 }]));
        var p = NewPredictor(def, new PredictorOptions { InputShapes = new Dictionary<string, TensorShape> { ["X"] = TensorShape.Create([2, -1]) } });
        Assert.Equal([2L, 5L], p.Run(new Tensor(DataType.Float, 2, 5))[0].Shape);
        Assert.Contains("input 'X' is FLOAT[5]; the net declares FLOAT[2, -1]", Assert.Throws<EnforceNotMetException>(() => p.Run(new Tensor(DataType.Float, 5))).Message);

        var typeOnly = NewPredictor(Predict(), new PredictorOptions { InputShapes = new Dictionary<string, TensorShape> { ["X"] = TensorShape.Unknown(DataType.Float) } });
        Assert.Contains("input 'X' is INT32[3]; the net declares FLOAT[?]", Assert.Throws<EnforceNotMetException>(() => typeOnly.Run(Tensor.From(new[] { 1, 2, 3 }))).Message);
    }

    [Fact]
    public void DeclaredShape_ForANonInput_IsRejected()
    {
        var e = Assert.Throws<EnforceNotMetException>(() => NewPredictor(options: new PredictorOptions { InputShapes = new Dictionary<string, TensorShape> { ["W"] = TensorShape.Create([3]) } }));
        Assert.Equal("Predictor of net 'p': PredictorOptions.InputShapes declares a shape for 'W', which is not an input; inputs: X.", e.Message);
    }

    [Fact]
    public void WithoutDeclarations_InputsAreWhatOpsReadFirst_AndOutputsTheLastOpsOutputs()
    {
        var def = new NetDef(); // unnamed, nothing declared
        def.Op.Add(TestOps.Mul("X", "W", "XW"));
        def.Op.Add(TestOps.Mul("XW", "V", "Y"));
        var p = NewPredictor(def);
        Assert.Equal("predict", p.Net.Name);
        Assert.Equal(["X", "V"], p.InputNames);
        Assert.Equal(["Y"], p.OutputNames);
        var y = p.Run(F(1f, 1f, 1f), F(1f, 10f, 100f))[0];
        Assert.Equal([2f, 30f, 400f], y.ToArray<float>());
    }

    [Fact]
    public void FailingOp_NamesTheNetAndOp()
    {
        var p = NewPredictor();
        var e = Assert.Throws<OperatorException>(() => p.Run(F(1f)));
        Assert.Equal("Net 'p' op #0 'Mul': inputs have 1 and 3 elements.", e.Message);
    }

    [Fact]
    public void FailingInitNet_NamesTheInitNet()
    {
        var init = Init();
        init.Op.Add(OperatorDef.Create("Fail", "bad", [], []));
        var e = Assert.Throws<OperatorException>(() => new Runtime.Predictor(TestOps.Catalog(), init, Predict()));
        Assert.Equal("Net 'init' op #1 'Fail' \"bad\": deliberate failure", e.Message);
    }

    // Init: X = [0, 0, 0] (a placeholder, as real SqueezeNet init nets fill `data`) and W.
    private static NetDef InitWithPlaceholder()
    {
        var n = Init();
        n.Op.Add(TestOps.Fill("X", 0, 0, 0));
        return n;
    }

    [Fact]
    public void PlaceholderInput_FedByName_ReplacesTheWeightsValue_ForThatRunOnly()
    {
        var p = new Runtime.Predictor(TestOps.Catalog(), InitWithPlaceholder(), Predict());
        Assert.Empty(p.InputNames);
        Assert.Equal(["X", "W"], p.OptionalInputNames);

        var fed = p.Run(new Dictionary<string, Tensor> { ["X"] = F(1f, 2f, 3f) });
        Assert.Equal(Expected([1, 2, 3]), fed["Y"].ToArray<float>());
        Assert.Equal([0f, 0f, 0f], p.Weights.FetchBlob<float>("X")); // the weights are never written
        Assert.Equal([1f, 2f, 3f], p.Workspace.FetchBlob<float>("X")); // what the last run read
        Assert.Equal([0f, 0f, 0f], Assert.Single(p.Run()).ToArray<float>()); // not fed: the placeholder again

        // A sibling shares the weights, not the fed value; a second feed reuses the first's tensor.
        var s = p.CreateSibling();
        Assert.Equal([0f, 0f, 0f], Assert.Single(s.Run()).ToArray<float>());
        Assert.Equal(Expected([-4, 5, 6]), p.Run(new Dictionary<string, Tensor> { ["X"] = F(-4f, 5f, 6f) })["Y"].ToArray<float>());
    }

    [Fact]
    public void WeightHeldInput_FedByName_OverridesTheWeight_ForThatRunOnly()
    {
        var p = NewPredictor();
        var y = p.Run(new Dictionary<string, Tensor> { ["X"] = F(1f, 1f, 1f), ["W"] = F(10f, 20f, 30f) });
        Assert.Equal([5f, 10f, 15f], y["Y"].ToArray<float>());
        Assert.Equal(Expected([1, 1, 1]), Assert.Single(p.Run(F(1f, 1f, 1f))).ToArray<float>());
        Assert.Equal([2f, 3f, 4f], p.Weights.FetchBlob<float>("W"));
    }

    [Fact]
    public void OptionalInput_OfAnotherType_IsRejected_BeforeTheRun()
    {
        var p = new Runtime.Predictor(TestOps.Catalog(), InitWithPlaceholder(), Predict());
        var e = Assert.Throws<EnforceNotMetException>(() => p.Run(new Dictionary<string, Tensor> { ["X"] = Tensor.From(new[] { 1, 2, 3 }) }));
        Assert.StartsWith("Predictor of net 'p': optional input 'X' is INT32", e.Message);
        Assert.Contains("so it must be FLOAT", e.Message);
        Assert.Equal([0f, 0f, 0f], Assert.Single(p.Run()).ToArray<float>());
    }

    [Fact]
    public void InputThatAnOpWrites_IsNotOptional()
    {
        // Y is written by the net: feeding it by name is an error even though the weights hold a Y.
        var init = Init();
        init.Op.Add(TestOps.Fill("Y", 1, 1, 1));
        var p = new Runtime.Predictor(TestOps.Catalog(), init, Predict());
        Assert.Equal(["W"], p.OptionalInputNames);
        var e = Assert.Throws<EnforceNotMetException>(() => p.Run(new Dictionary<string, Tensor> { ["X"] = F(1f, 1f, 1f), ["Y"] = F(1f, 1f, 1f) }));
        Assert.Contains("unknown input 'Y' ('Y' is held by the weights workspace and an op of the net writes it", e.Message);
    }

    private static NetDef OnCuda(NetDef net)
    {
        var copy = net.Clone();
        copy.DeviceOption = new DeviceOption { DeviceType = (int)DeviceTypeProto.ProtoCuda, DeviceId = 1, RandomSeed = 7 };
        return copy;
    }

    [Fact]
    public void NetForAnotherDevice_FailsNamingTheDeviceAndTheOption_AndRunsWhenPlacedOnTheCpu()
    {
        var e = Assert.Throws<OperatorException>(() => new Runtime.Predictor(TestOps.Catalog(), OnCuda(Init()), OnCuda(Predict())));
        Assert.Contains("'Fill' has no kernel for CUDA (device_type 1)", e.Message);
        Assert.Contains("PredictorOptions.Device", e.Message);
        Assert.Contains("--device cpu", e.Message);

        var p = new Runtime.Predictor(TestOps.Catalog(), OnCuda(Init()), OnCuda(Predict()), new PredictorOptions { Device = (int)DeviceTypeProto.ProtoCpu });
        Assert.Equal(Expected([1, 2, 3]), Assert.Single(p.Run(F(1f, 2f, 3f))).ToArray<float>());
    }

    [Fact]
    public void OnDevice_PlacesTheNetAndItsOps_KeepingSeeds()
    {
        var net = OnCuda(Predict());
        net.Op[0].DeviceOption = new DeviceOption { DeviceType = 1, RandomSeed = 3, NodeName = "n" };
        var cpu = net.OnDevice(0);
        Assert.Equal(0, cpu.DeviceOption.DeviceType);
        Assert.False(cpu.DeviceOption.HasDeviceId);
        Assert.Equal(7u, cpu.DeviceOption.RandomSeed);
        Assert.Equal(0, cpu.Op[0].DeviceOption.DeviceType);
        Assert.Equal(3u, cpu.Op[0].DeviceOption.RandomSeed);
        Assert.Equal("n", cpu.Op[0].DeviceOption.NodeName);
        Assert.Null(cpu.Op[1].DeviceOption); // inherits the net's when created
        Assert.Equal(1, net.DeviceOption.DeviceType); // the original is untouched
    }

    [Fact]
    public void DeclaredInputThatNoOpReads_IsNotRequired_AndFeedingItIsAnError()
    {
        // Caffe2's zoo ResNet-50 declares its training queue among its external inputs.
        var def = Predict();
        def.ExternalInput.Add("queue");
        var p = new Runtime.Predictor(TestOps.Catalog(), Init(), def);
        Assert.Equal(["X"], p.InputNames);
        Assert.Equal(Expected([1, 2, 3]), Assert.Single(p.Run(F(1f, 2f, 3f))).ToArray<float>());
        var e = Assert.Throws<EnforceNotMetException>(() => p.Run(new Dictionary<string, Tensor> { ["X"] = F(1f, 2f, 3f), ["queue"] = F(1f) }));
        Assert.Equal("Predictor of net 'p': input 'queue' is declared by the net but no op reads it, so it is not an input; expected inputs: X.", e.Message);
    }
}
