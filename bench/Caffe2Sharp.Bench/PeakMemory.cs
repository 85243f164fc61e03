// Hand-written.
using System.Globalization;
using Caffe2Sharp.Operators;
using Caffe2Sharp.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Caffe2Sharp.Bench;

/// <summary>
/// <c>peakmem baseline-ours|baseline-ort | ours NET | ort NET model.onnx | export NET model.onnx</c>: one process's peak
/// resident memory (VmHWM of /proc/self/status) after loading and running a real net once
/// (<see cref="RealNetModels"/>), or after only starting the runtime (the baselines), printed as
/// <c>VmHWM_KiB=...</c>; bench/peak-memory.sh runs each in its own process and subtracts.
/// </summary>
/// <remarks>
/// <c>ours</c>: a <see cref="Predictor"/> (init net run into the weights, the predict net
/// optimised) run once. <c>ort</c>: an InferenceSession over the model file that <c>export</c>
/// wrote (made by another process, so exporting costs this one nothing), one intra-op thread,
/// run once. <c>baseline-ours</c> builds the operator catalog; <c>baseline-ort</c> creates ONNX
/// Runtime's environment (the native library loaded).
/// </remarks>
internal static class PeakMemory
{
    public static int Run(string[] args)
    {
        if (args.Length < 1 || (args[0] is "ours" && args.Length < 2) || (args[0] is "ort" or "export" && args.Length < 3))
        {
            Console.Error.WriteLine("usage: peakmem baseline-ours|baseline-ort | ours NET | ort NET model.onnx | export NET model.onnx; NET: " + string.Join(", ", RealNetModels.Names));
            return 2;
        }
        // Loaded only by the modes that use it, so the baselines hold nothing of the net.
        BenchNet Net() => RealNetModels.Load(args[1]);
        switch (args[0])
        {
            case "baseline-ours":
                GC.KeepAlive(new OperatorCatalog().AddStandardOperators());
                break;
            case "baseline-ort":
                GC.KeepAlive(OrtEnv.Instance());
                break;
            case "export":
                File.WriteAllBytes(args[2], Net().ExportOnnx(new OperatorCatalog().AddStandardOperators()));
                return 0;
            case "ours":
            {
                var net = Net();
                var predictor = new Predictor(new OperatorCatalog().AddStandardOperators(), net.Init, net.Predict);
                var y = predictor.Run(new Dictionary<string, Tensor> { [net.Input] = net.MakeInput() })[net.Output];
                Console.WriteLine($"output={y.Describe()}");
                break;
            }
            case "ort":
            {
                using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
                using var session = new InferenceSession(args[2], options);
                var net = Net();
                var x = net.MakeInput();
                using var input = OrtValue.CreateTensorValueFromMemory(x.ToArray<float>(), net.InputShape);
                using var outputs = session.Run(new RunOptions(), [net.Input], [input], [net.Output]);
                Console.WriteLine($"output=float[{string.Join(", ", outputs[0].GetTensorTypeAndShape().Shape)}]");
                break;
            }
            default:
                Console.Error.WriteLine($"unknown mode '{args[0]}'.");
                return 2;
        }
        Console.WriteLine($"VmHWM_KiB={PeakResidentKiB().ToString(CultureInfo.InvariantCulture)}");
        return 0;
    }

    /// <summary>The process's peak resident set size, from the <c>VmHWM:</c> line of /proc/self/status, in KiB.</summary>
    private static long PeakResidentKiB()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        throw new InvalidOperationException("no VmHWM line in /proc/self/status (peakmem needs Linux).");
    }
}
