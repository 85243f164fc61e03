// Hand-written.
using BenchmarkDotNet.Attributes;

namespace Caffe2Sharp.Bench;

/// <summary>The tensor-size parameter every benchmark class shares.</summary>
public abstract class SizedBenchmarks
{
    /// <summary>Number of float elements.</summary>
    [ParamsSource(nameof(SizeValues))]
    public int N { get; set; }

    /// <summary>The sizes of this run (<see cref="Sizes.Current"/>).</summary>
    public static IEnumerable<int> SizeValues => Sizes.Current;
}
