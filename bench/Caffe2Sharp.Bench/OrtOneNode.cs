// Hand-written.
using Microsoft.ML.OnnxRuntime;

namespace Caffe2Sharp.Bench;

/// <summary>
/// ONNX Runtime running a one-node model with one float input X (or A) and one output Y bound
/// once to caller-owned aligned buffers, so a timed <see cref="Run"/> is ONNX Runtime's own
/// per-run cost and kernel, no copy in or out. Graph optimisations at ORT_ENABLE_ALL (what a
/// deployment uses: constant weights prepacked, NCHWc convolutions).
/// </summary>
internal sealed class OrtOneNode : IDisposable
{
    private readonly SessionOptions _options;
    private readonly InferenceSession _session;
    private readonly OrtValue _input, _output;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions;

    public OrtOneNode(byte[] model, string inputName, AlignedBuffer x, long[] xShape, AlignedBuffer y, long[] yShape, int intraOpThreads)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        _options = new SessionOptions
        {
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(model, _options);
        _input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, x.Memory, xShape);
        _output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, y.Memory, yShape);
        _binding = _session.CreateIoBinding();
        _binding.BindInput(inputName, _input);
        _binding.BindOutput("Y", _output);
        _runOptions = new RunOptions();
    }

    /// <summary>Runs the model once: reads the bound input, writes the bound output.</summary>
    public void Run() => _session.RunWithBinding(_runOptions, _binding);

    public void Dispose()
    {
        _runOptions.Dispose();
        _binding.Dispose();
        _output.Dispose();
        _input.Dispose();
        _session.Dispose();
        _options.Dispose();
    }
}
