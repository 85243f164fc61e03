using Caffe2Sharp.Tests;
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Runtime.Tests.Core;

public class WorkspaceTests
{
    private static Workspace NewWorkspace() => new(TestOps.Catalog());

    private static NetDef Net(string name, params OperatorDef[] ops)
    {
        var n = new NetDef { Name = name };
        n.Op.AddRange(ops);
        return n;
    }

    [Fact]
    public void Blobs_CreateGetRemoveRename()
    {
        var ws = NewWorkspace();
        var a = ws.CreateBlob("a");
        Assert.Same(a, ws.CreateBlob("a"));
        Assert.True(ws.HasBlob("a"));
        Assert.Null(ws.GetBlob("zz"));
        ws.CreateBlob("b");
        ws.RenameBlob("a", "c");
        Assert.Equal(["b", "c"], ws.Blobs);
        Assert.Equal("c", a.Name);
        Assert.Throws<EnforceNotMetException>(() => ws.RenameBlob("b", "c"));
        Assert.Throws<EnforceNotMetException>(() => ws.RenameBlob("missing", "x"));
        Assert.True(ws.RemoveBlob("b"));
        Assert.False(ws.RemoveBlob("b"));
    }

    [Fact]
    public void FeedAndFetch_AreCopies()
    {
        var ws = NewWorkspace();
        float[] data = [1, 2, 3, 4];
        ws.FeedBlob<float>("X", data, 2, 2);
        data[0] = 100;
        var fetched = ws.FetchBlob<float>("X");
        Assert.Equal([1f, 2, 3, 4], fetched);
        fetched[1] = 50;
        Assert.Equal(2f, ws.FetchBlob<float>("X")[1]);
        Assert.Equal([2L, 2L], ws.FetchBlob("X").Shape);
    }

    [Fact]
    public void Fetch_MissingBlob_SuggestsCloseNames()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("data", new float[] { 1 });
        var e = Assert.Throws<EnforceNotMetException>(() => ws.FetchBlob("dat"));
        Assert.Equal("Blob 'dat' does not exist. Did you mean: data?", e.Message);
    }

    [Fact]
    public void Fetch_WrongType_And_EmptyBlob_AreClearErrors()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("i", new int[] { 1 });
        Assert.Contains("holds INT32[1], not Single", Assert.Throws<EnforceNotMetException>(() => ws.FetchBlob<float>("i")).Message);
        ws.CreateBlob("empty");
        Assert.Contains("Blob 'empty' holds no tensor", Assert.Throws<EnforceNotMetException>(() => ws.FetchBlob("empty")).Message);
    }

    [Fact]
    public void Feed_WrongCount_Throws()
    {
        Assert.Throws<ArgumentException>(() => NewWorkspace().FeedBlob<float>("x", new float[3], 2, 2));
    }

    [Fact]
    public void RunNet_RunsOpsInOrder_AndReusesOutputs()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new float[] { 1, -2 });
        var net = ws.CreateNet(Net("n", TestOps.Scale("X", "Y", 3), TestOps.Scale("Y", "Z", 0.5f)));
        ws.RunNet("n");
        Assert.Equal([1.5f, -3f], ws.FetchBlob<float>("Z"));
        var z = ws.GetBlob("Z")!.GetTensor();
        ws.RunNet("n");
        Assert.Same(z, ws.GetBlob("Z")!.GetTensor());
        Assert.Equal(2, ((TestOps.ScaleOp)net.Operators[1]).Runs);
    }

    [Fact]
    public void RunNet_SteadyState_DoesNotAllocate()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new float[1024]);
        ws.CreateNet(Net("n", TestOps.Scale("X", "Y"), TestOps.Scale("Y", "Y")));
        ws.RunNet("n");
        SteadyState.AllocatesNothing(() => ws.RunNet("n"), runs: 50);
    }

    [Fact]
    public void InPlaceOp_ReadsAndWritesTheSameBlob()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new float[] { 1, 2 });
        ws.RunOperatorOnce(TestOps.Scale("X", "X", 10));
        Assert.Equal([10f, 20f], ws.FetchBlob<float>("X"));
    }

    [Fact]
    public void CreateNet_Overwrite_AndRefusal()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new float[] { 1 });
        ws.CreateNet(Net("n", TestOps.Scale("X", "Y", 2)));
        var e = Assert.Throws<EnforceNotMetException>(() => ws.CreateNet(Net("n", TestOps.Scale("X", "Y", 5))));
        Assert.Contains("exists already", e.Message);
        ws.CreateNet(Net("n", TestOps.Scale("X", "Y", 5)), overwrite: true);
        ws.RunNet("n");
        Assert.Equal([5f], ws.FetchBlob<float>("Y"));
        Assert.Equal(["n"], ws.Nets);
    }

    [Fact]
    public void CreateNet_WithoutName_IsRejected_ButRunNetOnceAcceptsIt()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new float[] { 1 });
        Assert.Throws<EnforceNotMetException>(() => ws.CreateNet(Net("", TestOps.Scale("X", "Y"))));
        ws.RunNetOnce(Net("", TestOps.Scale("X", "Y")));
        Assert.Equal([2f], ws.FetchBlob<float>("Y"));
        Assert.Empty(ws.Nets);
    }

    private sealed class ExplodingOp : OperatorBase
    {
        public ExplodingOp(OperatorDef def, Workspace ws) : base(def, ws) => throw new IndexOutOfRangeException("constructor bug");
        public override void Run() { }
    }

    [Fact]
    public void CreateNet_AnyConstructorException_RollsBackAndNamesTheOp()
    {
        var ws = NewWorkspace();
        ws.Catalog.Operators.Register("Explode", (d, w) => new ExplodingOp(d, w));
        ws.FeedBlob("X", new float[] { 1 });
        var e = Assert.Throws<OperatorException>(() => ws.CreateNet(Net("n", TestOps.Scale("X", "A"), OperatorDef.Create("Explode", "boom", ["A"], ["B"]))));
        Assert.Equal(1, e.OpIndex);
        Assert.IsType<IndexOutOfRangeException>(e.InnerException);
        Assert.Equal(["X"], ws.Blobs);
        Assert.Empty(ws.Nets);
    }

    [Fact]
    public void RemovingOrRenamingABlobANetUses_IsRefused_UntilTheNetIsDeleted()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new float[] { 1 });
        ws.CreateNet(Net("n", TestOps.Scale("X", "Y")));
        Assert.Contains("net 'n' uses it", Assert.Throws<EnforceNotMetException>(() => ws.RemoveBlob("X")).Message);
        Assert.Contains("net 'n' uses it", Assert.Throws<EnforceNotMetException>(() => ws.RenameBlob("Y", "Z")).Message);
        Assert.True(ws.DeleteNet("n"));
        Assert.True(ws.RemoveBlob("X"));
        ws.RenameBlob("Y", "Z");
    }

    [Fact]
    public void ExternalOutputs_AreCheckedEvenWithoutDeclaredInputs()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new float[] { 1 });
        var def = Net("n", TestOps.Scale("X", "Y"));
        def.ExternalOutput.Add("Z");
        Assert.Contains("external output 'Z'", Assert.Throws<EnforceNotMetException>(() => ws.CreateNet(def)).Message);
    }

    [Fact]
    public void RunNet_Unknown_IsAClearError()
    {
        var e = Assert.Throws<EnforceNotMetException>(() => NewWorkspace().RunNet("ghost"));
        Assert.Contains("Net 'ghost' does not exist", e.Message);
    }

    [Fact]
    public void CreateNet_MissingInputBlob_NamesOpAndBlob_AndRegistersNothing()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new float[] { 1 });
        var def = Net("n", TestOps.Scale("X", "A", name: "first"), TestOps.Scale("nothere", "B", name: "second"));
        var e = Assert.Throws<OperatorException>(() => ws.CreateNet(def));
        Assert.Equal(1, e.OpIndex);
        Assert.Equal("Scale", e.OpType);
        Assert.Equal("second", e.OpName);
        Assert.Contains("input 0 blob 'nothere' does not exist", e.Message);
        Assert.Empty(ws.Nets);
        Assert.Equal(["X"], ws.Blobs); // 'A', created by op #0, was rolled back
    }

    [Fact]
    public void CreateNet_UnknownOperator_ListsCloseNames()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new float[] { 1 });
        var e = Assert.Throws<OperatorException>(() => ws.CreateNet(Net("n", OperatorDef.Create("Scal", "s", ["X"], ["Y"]))));
        Assert.Contains("Unknown operator type 'Scal'. Did you mean: Scale?", e.Message);
        Assert.Contains("op #0 'Scal' \"s\"", e.Message);
    }

    [Fact]
    public void CreateNet_BadArity_FailsVerify()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new float[] { 1 });
        var e = Assert.Throws<OperatorException>(() => ws.CreateNet(Net("n", OperatorDef.Create("Scale", "", ["X", "X"], ["Y"]))));
        Assert.Contains("has 2 input(s); expected 1", e.Message);
    }

    [Fact]
    public void CreateNet_IllegalInPlace_FailsVerify()
    {
        var ws = NewWorkspace();
        ws.Catalog.Schemas.Schema("NoInplace").NumInputs(1).NumOutputs(1);
        ws.Catalog.Operators.Register("NoInplace", (d, w) => new TestOps.ScaleOp(d, w));
        ws.FeedBlob("X", new float[] { 1 });
        var e = Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(OperatorDef.Create("NoInplace", "", ["X"], ["X"])));
        Assert.Contains("in-place pair the schema does not allow", e.Message);
    }

    [Fact]
    public void CreateNet_ExternalInputs_AreChecked()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new float[] { 1 });
        ws.FeedBlob("W", new float[] { 1 });
        var def = Net("n", TestOps.Scale("X", "Y"), TestOps.Scale("W", "Z"));
        def.ExternalInput.Add("X");
        var e = Assert.Throws<OperatorException>(() => ws.CreateNet(def));
        Assert.Contains("input 0 'W' is neither an external input", e.Message);
        Assert.Equal(1, e.OpIndex);
    }

    [Fact]
    public void CreateNet_ExternalOutputNeverProduced_IsRejected()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new float[] { 1 });
        var def = Net("n", TestOps.Scale("X", "Y"));
        def.ExternalInput.Add("X");
        def.ExternalOutput.Add("Q");
        Assert.Contains("external output 'Q'", Assert.Throws<EnforceNotMetException>(() => ws.CreateNet(def)).Message);
    }

    [Fact]
    public void CreateNet_UnknownNetType_IsRejected_KnownTypesRunSequentially()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new float[] { 1 });
        var def = Net("n", TestOps.Scale("X", "Y"));
        def.Type = "warp_drive";
        Assert.Contains("unknown net type 'warp_drive'", Assert.Throws<EnforceNotMetException>(() => ws.CreateNet(def)).Message);
        def.Type = "dag";
        ws.CreateNet(def);
        ws.RunNet("n");
        Assert.Equal([2f], ws.FetchBlob<float>("Y"));
    }

    [Fact]
    public void NetDeviceOption_IsInheritedByOpsWithoutOne()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new float[] { 1 });
        var def = Net("n", TestOps.Scale("X", "Y"), TestOps.Scale("Y", "Z"));
        def.DeviceOption = new DeviceOption { DeviceType = 0, RandomSeed = 7 };
        def.Op[1].DeviceOption = new DeviceOption { RandomSeed = 1 };
        var net = ws.CreateNet(def);
        Assert.Equal(7u, net.Operators[0].Def.DeviceOption.RandomSeed);
        Assert.Equal(1u, net.Operators[1].Def.DeviceOption.RandomSeed);
        Assert.Null(def.Op[0].DeviceOption); // the caller's def is not mutated
    }

    [Fact]
    public void UnsupportedDevice_IsAClearError()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new float[] { 1 });
        var def = TestOps.Scale("X", "Y");
        def.DeviceOption = new DeviceOption { DeviceType = (int)DeviceTypeProto.ProtoCuda };
        var e = Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(def));
        Assert.Contains("has no kernel for CUDA (device_type 1); it is registered for CPU", e.Message);
    }

    [Fact]
    public void Engine_FallsBackToDefault_AndPrefersRegisteredEngine()
    {
        var ws = NewWorkspace();
        ws.Catalog.Operators.Register("Scale", (d, w) => new TestOps.FailOp(d, w), engine: "BROKEN");
        ws.FeedBlob("X", new float[] { 1 });
        var unknownEngine = TestOps.Scale("X", "Y");
        unknownEngine.Engine = "NOPE";
        ws.RunOperatorOnce(unknownEngine);
        Assert.Equal([2f], ws.FetchBlob<float>("Y"));
        var preferred = TestOps.Scale("X", "Y");
        preferred.Engine = "NOPE,BROKEN";
        Assert.Contains("deliberate failure", Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(preferred)).Message);
    }

    [Fact]
    public void FailingOp_ReportsIndexTypeName_AndLeavesOtherBlobsUntouched()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new float[] { 1, 2 });
        ws.FeedBlob("Keep", new float[] { 7 });
        var def = Net("n", TestOps.Scale("X", "Y"), OperatorDef.Create("Fail", "boom", [], []));
        ws.CreateNet(def);
        var e = Assert.Throws<OperatorException>(() => ws.RunNet("n"));
        Assert.Equal("Net 'n' op #1 'Fail' \"boom\": deliberate failure", e.Message);
        Assert.Equal([7f], ws.FetchBlob<float>("Keep"));
        Assert.Equal([1f, 2f], ws.FetchBlob<float>("X"));
    }

    [Fact]
    public void OpRejectingDtype_LeavesItsInputUntouched()
    {
        var ws = NewWorkspace();
        ws.FeedBlob("X", new int[] { 1, 2 });
        var e = Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(TestOps.Scale("X", "X")));
        Assert.Contains("must be FLOAT, got INT32[2]", e.Message);
        Assert.Equal([1, 2], ws.FetchBlob<int>("X"));
    }

    [Fact]
    public void InputNeverFed_IsAClearRuntimeError()
    {
        var ws = NewWorkspace();
        ws.CreateBlob("X");
        var e = Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(TestOps.Scale("X", "Y")));
        Assert.Contains("input 0 blob 'X' holds no tensor", e.Message);
    }

    [Fact]
    public void IntraOpThreads_ComesFromWorkspaceOrNetArgument()
    {
        var ws = NewWorkspace();
        ws.IntraOpThreads = 3;
        ws.FeedBlob("X", new float[] { 1 });
        var def = Net("a", TestOps.Scale("X", "Y"));
        Assert.Equal(3, ws.CreateNet(def).Operators[0].MaxDegreeOfParallelism);
        var withArg = Net("b", TestOps.Scale("X", "Y"));
        withArg.Arg.Add(ArgumentHelper.MakeArgument(Workspace.IntraOpThreadsArgument, 1));
        Assert.Equal(1, ws.CreateNet(withArg).Operators[0].MaxDegreeOfParallelism);
        withArg.Name = "c";
        withArg.Arg[0].I = 0;
        Assert.Throws<EnforceNotMetException>(() => ws.CreateNet(withArg));
        Assert.Throws<ArgumentOutOfRangeException>(() => ws.IntraOpThreads = 0);
    }
}
