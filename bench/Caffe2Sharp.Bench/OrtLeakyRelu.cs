// Hand-written.
using Microsoft.ML.OnnxRuntime;

namespace Caffe2Sharp.Bench;

/// <summary>
/// ONNX Runtime running the one-node LeakyRelu model on caller-owned buffers: the input and the
/// output are bound once, as OrtValues over the pinned, aligned managed memory, so a timed
/// <see cref="Run"/> is ONNX Runtime's own per-run cost and kernel, with no copy in or out.
/// </summary>
internal sealed class OrtLeakyRelu : IDisposable
{
    private readonly SessionOptions _options;
    private readonly InferenceSession _session;
    private readonly OrtValue _input, _output;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions;

    public OrtLeakyRelu(AlignedBuffer x, AlignedBuffer y, float alpha, int intraOpThreads)
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
        _session = new InferenceSession(OnnxModels.LeakyRelu(x.Length, alpha), _options);
        long[] shape = [x.Length];
        _input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, x.Memory, shape);
        _output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, y.Memory, shape);
        _binding = _session.CreateIoBinding();
        _binding.BindInput("X", _input);
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
