using Caffe2Sharp.Tests;
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Runtime.Tests.Observers;

public class ObserverTests
{
    private static NetDef Net(string name, params OperatorDef[] ops)
    {
        var n = new NetDef { Name = name };
        n.Op.AddRange(ops);
        return n;
    }

    private sealed class Recorder : INetObserver
    {
        public List<string> Log { get; } = [];
        public void OnNetStart(NetBase net) => Log.Add($"{net.Name} start");
        public void OnNetStop(NetBase net) => Log.Add($"{net.Name} stop");
        public void OnOperatorStart(NetBase net, int index) => Log.Add($"op {index} start");
        public void OnOperatorStop(NetBase net, int index) => Log.Add($"op {index} stop");
    }

    /// <summary>A clock that advances by the next scripted step on every read.</summary>
    private sealed class ScriptedClock(params long[] steps) : TimeProvider
    {
        private long _now;
        private int _next;
        public override long TimestampFrequency => 1_000_000; // ticks are microseconds
        public override long GetTimestamp() => _now += steps[_next++ % steps.Length];
    }

    [Fact]
    public void Hooks_AreCalledAroundTheNetAndEachOp_InOrder()
    {
        var ws = new Workspace(TestOps.Catalog());
        ws.FeedBlob("X", new float[] { 1 });
        var net = ws.CreateNet(Net("n", TestOps.Scale("X", "Y"), TestOps.Scale("Y", "Z")));
        var r = new Recorder();
        net.AttachObserver(r);
        ws.RunNet("n");
        Assert.Equal(["n start", "op 0 start", "op 0 stop", "op 1 start", "op 1 stop", "n stop"], r.Log);
        Assert.Equal([r], net.Observers);
    }

    [Fact]
    public void Detach_StopsTheCalls_AttachTwiceCallsTwice()
    {
        var ws = new Workspace(TestOps.Catalog());
        ws.FeedBlob("X", new float[] { 1 });
        var net = ws.CreateNet(Net("n", TestOps.Scale("X", "Y")));
        var r = new Recorder();
        net.AttachObserver(r);
        net.AttachObserver(r);
        net.Run();
        Assert.Equal(["n start", "n start", "op 0 start", "op 0 start", "op 0 stop", "op 0 stop", "n stop", "n stop"], r.Log);
        Assert.True(net.DetachObserver(r));
        Assert.True(net.DetachObserver(r));
        Assert.False(net.DetachObserver(r));
        r.Log.Clear();
        net.Run();
        Assert.Empty(r.Log);
    }

    [Fact]
    public void FailingOp_GetsNoStopHook_AndNeitherDoesTheNet()
    {
        var ws = new Workspace(TestOps.Catalog());
        ws.FeedBlob("X", new float[] { 1 });
        var net = ws.CreateNet(Net("n", TestOps.Scale("X", "Y"), OperatorDef.Create("Fail", "boom", [], [])));
        var r = new Recorder();
        net.AttachObserver(r);
        var e = Assert.Throws<OperatorException>(net.Run);
        Assert.Equal("Net 'n' op #1 'Fail' \"boom\": deliberate failure", e.Message);
        Assert.Equal(["n start", "op 0 start", "op 0 stop", "op 1 start"], r.Log);
    }

    [Fact]
    public void WorkspaceObservers_AttachToEveryNetItCreates()
    {
        var ws = new Workspace(TestOps.Catalog());
        var seen = new List<string>();
        ws.AddNetObserver(net => net.Name == "skip" ? null : new Recorder());
        ws.AddNetObserver(net => { seen.Add(net.Name); return null; });
        ws.FeedBlob("X", new float[] { 1 });
        var a = ws.CreateNet(Net("a", TestOps.Scale("X", "Y")));
        var skipped = ws.CreateNet(Net("skip", TestOps.Scale("X", "Y")));
        ws.RunNetOnce(Net("once", TestOps.Scale("X", "Y")));
        ws.RunOperatorOnce(TestOps.Scale("X", "Y"));
        Assert.Equal(["a", "skip", "once", ""], seen);
        Assert.IsType<Recorder>(Assert.Single(a.Observers));
        Assert.Empty(skipped.Observers);
        a.Run();
        Assert.Equal(["a start", "op 0 start", "op 0 stop", "a stop"], ((Recorder)a.Observers[0]).Log);
        var child = new Workspace(ws);
        Assert.Empty(child.CreateNet(Net("c", TestOps.Scale("X", "Y"))).Observers); // children do not inherit them
    }

    [Fact]
    public void TimingObserver_SteadyStateRun_DoesNotAllocate()
    {
        var ws = new Workspace(TestOps.Catalog());
        ws.FeedBlob("X", new float[1024]);
        var net = ws.CreateNet(Net("n", TestOps.Scale("X", "Y"), TestOps.Scale("Y", "Y")));
        var timing = TimingObserver.AttachTo(net);
        ws.RunNet("n");
        int runs = 1 + SteadyState.AllocatesNothing(() => ws.RunNet("n"), runs: 50);
        Assert.Equal(runs, timing.Runs);
        Assert.Equal(runs, timing.OperatorCalls(1));
    }

    [Fact]
    public void TimingObserver_CostIsInferredFromTheShapesAnOpReadWhenItRan_NotFromWhatTheBlobHoldsAfterwards()
    {
        // Op 1 reads A with 3 elements; op 2 then writes A again with 5 (as a buffer the memory
        // planner shares is rewritten by a later blob).
        var ws = new Workspace(TestOps.Catalog());
        var net = ws.CreateNet(Net("n", TestOps.Fill("A", 1, 2, 3), TestOps.Scale("A", "B"), TestOps.Fill("A", 1, 2, 3, 4, 5)));
        var timing = TimingObserver.AttachTo(net);
        net.Run();
        Assert.Equal(5, ws.GetBlob("A")!.GetTensor().Size);
        Assert.Equal(new Cost(3, 12, 12), timing.CreateReport().Operators[1].Cost);
        timing.Reset();
        var reset = timing.CreateReport().Operators[1].Cost; // not run since the reset: from the blob as it is now
        Assert.Equal(new Cost(5, 20, 20), reset);
    }

    [Fact]
    public void TimingObserver_Report_MeanShareAndRatesFromCost()
    {
        var ws = new Workspace(TestOps.Catalog());
        ws.FeedBlob("X", new float[1000]);
        var net = ws.CreateNet(Net("n", TestOps.Scale("X", "Y", name: "first"), TestOps.Scale("Y", "Z"), OperatorDef.Create("Fail", "", [], [])));
        // Reads per run: net start, op0 start, op0 stop, op1 start, op1 stop, op2 start (fails).
        var timing = TimingObserver.AttachTo(net, new ScriptedClock(5, 1, 100, 1, 300, 1));
        Assert.Throws<OperatorException>(net.Run);
        Assert.Throws<OperatorException>(net.Run);

        Assert.Equal(0, timing.Runs); // failed runs are not net runs
        Assert.Equal(200, timing.OperatorTicks(0));
        Assert.Equal(600, timing.OperatorTicks(1));
        Assert.Equal(0, timing.OperatorCalls(2));
        var report = timing.CreateReport();
        Assert.Equal("n", report.NetName);
        var first = report.Operators[0];
        Assert.Equal("Scale \"first\"", first.Label);
        Assert.Equal(2, first.Calls);
        Assert.Equal(100e-6, first.MeanSeconds, 12);
        Assert.Equal(0.25, first.Share, 12);
        Assert.Equal(new Cost(1000, 4000, 4000), first.Cost);
        Assert.Equal(8000 / 100e-6 / 1e9, first.GigabytesPerSecond!.Value, 9);
        Assert.Equal(1000 / 100e-6 / 1e9, first.GigaflopsPerSecond!.Value, 9);
        Assert.Equal(0.75, report.Operators[1].Share, 12);
        Assert.Null(report.Operators[2].Cost); // Fail has no cost function
        Assert.Null(report.Operators[2].GigabytesPerSecond);

        var lines = report.Format().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.Matches(@"^\s+0 Scale ""first""\s+100\.000 us\s+25\.0%\s+1,000\s+8,000\s+0\.08\s+0\.01$", lines[1]);
        Assert.Matches(@"^\s+1 Scale\s+300\.000 us\s+75\.0%\s+1,000\s+8,000\s+0\.03\s+0\.00$", lines[2]);
        Assert.Matches(@"^\s+2 Fail\s+0\.000 us\s+0\.0%\s+-\s+-\s+-\s+-$", lines[3]);
        Assert.StartsWith("total: 400.000 us per run in operators, 0.000 us per net run (0 run(s)); 0.04 GB/s, ", lines[4]);
    }

    [Fact]
    public void TimingObserver_CountsCompletedRuns_AndReset()
    {
        var ws = new Workspace(TestOps.Catalog());
        ws.FeedBlob("X", new float[] { 1 });
        var net = ws.CreateNet(Net("n", TestOps.Scale("X", "Y")));
        // Reads per run: net start (+7), op start (+1), op stop (+2), net stop (+10): the net takes 13 ticks.
        var timing = TimingObserver.AttachTo(net, new ScriptedClock(7, 1, 2, 10));
        net.Run();
        net.Run();
        Assert.Equal(2, timing.Runs);
        Assert.Equal(26, timing.NetTicks);
        Assert.Equal(13e-6, timing.CreateReport().NetMeanSeconds, 12);
        timing.Reset();
        Assert.Equal(0, timing.Runs);
        Assert.Equal(0, timing.OperatorCalls(0));
        Assert.Equal(0, timing.NetTicks);
    }

    [Fact]
    public void TimingObserver_OnAnotherNet_Throws()
    {
        var ws = new Workspace(TestOps.Catalog());
        ws.FeedBlob("X", new float[] { 1 });
        var a = ws.CreateNet(Net("a", TestOps.Scale("X", "Y")));
        var b = ws.CreateNet(Net("b", TestOps.Scale("X", "Y")));
        b.AttachObserver(new TimingObserver(a));
        var e = Assert.Throws<InvalidOperationException>(b.Run);
        Assert.Contains("created for net 'a' but net 'b' called it", e.Message);
    }

    [Fact]
    public void ProfileReport_Time_PicksAUnit()
    {
        Assert.Equal("1.500 s", ProfileReport.Time(1.5));
        Assert.Equal("2.000 ms", ProfileReport.Time(2e-3));
        Assert.Equal("3.000 us", ProfileReport.Time(3e-6));
        Assert.Equal("40.0 ns", ProfileReport.Time(40e-9));
        Assert.Equal("0.000 us", ProfileReport.Time(0));
    }
}
