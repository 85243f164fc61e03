// Hand-written.
using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Operators.Arithmetic;
using Caffe2Sharp.Operators.Fill;
using Caffe2Sharp.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Cli;

/// <summary>The runtime the tool uses: our operator packs registered through DI, as a user would.</summary>
internal static class CliRuntime
{
    private static readonly Lazy<ServiceProvider> Services = new(() =>
    {
        var services = new ServiceCollection();
        services.AddCaffe2Sharp().AddFillOperators().AddLeakyRelu().AddSum();
        return services.BuildServiceProvider();
    });

    public static OperatorCatalog Catalog => Services.Value.GetRequiredService<OperatorCatalog>();

    public static Workspace NewWorkspace(int? threads)
    {
        var ws = Services.Value.GetRequiredService<Workspace>();
        if (threads is { } t)
        {
            if (t < 1) throw new CliException($"--threads must be at least 1; got {t}.");
            ws.IntraOpThreads = t;
        }
        return ws;
    }

    /// <summary>Splits NAME=VALUE, naming the option in the error.</summary>
    public static (string Name, string Value) SplitPair(string text, string option)
    {
        int eq = text.IndexOf('=');
        if (eq <= 0 || eq == text.Length - 1)
            throw new CliException($"{option} expects NAME=VALUE, got '{text}'.");
        return (text[..eq], text[(eq + 1)..]);
    }

    /// <summary>Loads a net, giving an unnamed one a name so it can be created.</summary>
    public static NetDef LoadNet(string path, string fallbackName)
    {
        if (!File.Exists(path)) throw new CliException($"{path}: file not found.");
        var net = ProtoFile.ReadNetDef(path);
        if (string.IsNullOrEmpty(net.Name)) net.Name = fallbackName;
        return net;
    }

    /// <summary>Reads --input NAME=FILE pairs; the predictor checks the names against the net.</summary>
    public static Dictionary<string, Tensor> ReadInputs(IEnumerable<string> inputs)
    {
        var fed = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var pair in inputs)
        {
            var (name, file) = SplitPair(pair, "--input");
            if (!fed.TryAdd(name, TensorFiles.Read(file))) throw new CliException($"--input {name}: given twice.");
        }
        return fed;
    }

    /// <summary>A predictor over a new weights workspace: the init net (if any) runs once into it.</summary>
    public static Predictor NewPredictor(int? threads, NetDef? init, NetDef net) => new(NewWorkspace(threads), init, net);
}
