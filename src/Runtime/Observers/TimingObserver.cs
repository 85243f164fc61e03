// Hand-written.
using System.Diagnostics;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Runtime;

/// <summary>
/// Accumulates, over runs, the time of one net and of each of its operators (clock ticks),
/// and turns it into a <see cref="ProfileReport"/> (Caffe2's <c>prof_dag</c> statistics, ONNX
/// Runtime's profiler). Bound to the net it was created for.
/// </summary>
/// <remarks>
/// Hooks only read the clock and add: no allocation per run, except that the first time each
/// operator runs (and the first time after <see cref="Reset"/>) its cost is inferred from the
/// shapes it reads then: after the run those blobs may hold other shapes (the memory planner
/// shares buffers between blobs). A run that fails leaves its completed
/// operators counted and is not counted as a net run. Not thread-safe: one net runs on one thread
/// at a time.
/// </remarks>
public sealed class TimingObserver : INetObserver
{
    private readonly TimeProvider _time;
    private readonly long[] _ticks;
    private readonly long[] _calls;
    private readonly Cost?[] _costs;
    private readonly bool[] _costed;
    private long _opStart;
    private long _netStart;
    private long _netTicks;
    private int _runs;

    /// <summary>Creates an observer for <paramref name="net"/>; attach it with <see cref="NetBase.AttachObserver"/> (or use <see cref="AttachTo"/>).</summary>
    /// <param name="net">The net to observe.</param>
    /// <param name="time">The clock (its timestamps and frequency); <see cref="TimeProvider.System"/>, the <see cref="Stopwatch"/>, by default.</param>
    public TimingObserver(NetBase net, TimeProvider? time = null)
    {
        Net = net ?? throw new ArgumentNullException(nameof(net));
        _time = time ?? TimeProvider.System;
        _ticks = new long[net.Operators.Count];
        _calls = new long[net.Operators.Count];
        _costs = new Cost?[net.Operators.Count];
        _costed = new bool[net.Operators.Count];
    }

    /// <summary>Creates an observer for <paramref name="net"/> (timed by <paramref name="time"/>, default the system clock) and attaches it.</summary>
    public static TimingObserver AttachTo(NetBase net, TimeProvider? time = null)
    {
        var observer = new TimingObserver(net, time);
        net.AttachObserver(observer);
        return observer;
    }

    /// <summary>The net observed.</summary>
    public NetBase Net { get; }

    /// <summary>Completed net runs observed.</summary>
    public int Runs => _runs;

    /// <summary>Total ticks (<see cref="TimeProvider.TimestampFrequency"/> of the clock per second) of completed net runs, hooks included.</summary>
    public long NetTicks => _netTicks;

    /// <summary>Total ticks operator <paramref name="index"/> ran.</summary>
    public long OperatorTicks(int index) => _ticks[index];

    /// <summary>How many times operator <paramref name="index"/> completed.</summary>
    public long OperatorCalls(int index) => _calls[index];

    /// <summary>Forgets everything measured so far (after a warm-up, say).</summary>
    public void Reset()
    {
        Array.Clear(_ticks);
        Array.Clear(_calls);
        Array.Clear(_costed);
        _netTicks = 0;
        _runs = 0;
    }

    /// <inheritdoc/>
    public void OnNetStart(NetBase net)
    {
        if (!ReferenceEquals(net, Net)) throw WrongNet(net);
        _netStart = _time.GetTimestamp();
    }

    /// <inheritdoc/>
    public void OnNetStop(NetBase net)
    {
        _netTicks += _time.GetTimestamp() - _netStart;
        _runs++;
    }

    /// <inheritdoc/>
    public void OnOperatorStart(NetBase net, int index)
    {
        if (!_costed[index])
        {
            _costs[index] = ProfileReport.InferCost(Net.Operators[index]);
            _costed[index] = true;
        }
        _opStart = _time.GetTimestamp();
    }

    /// <inheritdoc/>
    public void OnOperatorStop(NetBase net, int index)
    {
        _ticks[index] += _time.GetTimestamp() - _opStart;
        _calls[index]++;
    }

    /// <summary>
    /// The report of everything measured so far. Costs are those inferred when each operator
    /// first ran (after the last <see cref="Reset"/>); for one that never ran, from the shapes its
    /// input blobs hold now.
    /// </summary>
    public ProfileReport CreateReport()
    {
        var rows = new OperatorProfile[_ticks.Length];
        long sum = 0;
        foreach (var t in _ticks) sum += t;
        for (int k = 0; k < rows.Length; k++)
        {
            var op = Net.Operators[k];
            double mean = _calls[k] == 0 ? 0 : (double)_ticks[k] / _time.TimestampFrequency / _calls[k];
            double share = sum == 0 ? 0 : (double)_ticks[k] / sum;
            rows[k] = new OperatorProfile(k, op.Def.Type, op.Def.Name, _calls[k], mean, share, _costed[k] ? _costs[k] : ProfileReport.InferCost(op));
        }
        double netMean = _runs == 0 ? 0 : (double)_netTicks / _time.TimestampFrequency / _runs;
        return new ProfileReport(Net.Name, _runs, netMean, rows);
    }

    private InvalidOperationException WrongNet(NetBase net) =>
        new($"This TimingObserver was created for net '{Net.Name}' but net '{net.Name}' called it; create one observer per net.");
}
