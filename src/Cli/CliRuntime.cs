// Hand-written.
using Caffe2Sharp.Operators;
using Caffe2Sharp.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Cli;

/// <summary>
/// The runtime one command uses: our operator packs and each <c>--plugin</c>'s packs registered
/// through DI, as a user would; built on first use, after the options are parsed.
/// </summary>
internal sealed class CliRuntime : IDisposable
{
    private readonly Lazy<ServiceProvider> _services;

    /// <summary>Loads each plugin (errors name the file); the services are built on first use.</summary>
    public CliRuntime(IEnumerable<string> plugins)
    {
        var services = new ServiceCollection();
        var builder = services.AddCaffe2Sharp().AddStandardOperators();
        foreach (var plugin in plugins)
            foreach (var pack in OperatorPackLibrary.Load(plugin))
                AddPluginPack(builder, plugin, pack);
        _services = new(services.BuildServiceProvider);
    }

    public OperatorCatalog Catalog => _services.Value.GetRequiredService<OperatorCatalog>();

    public Workspace NewWorkspace(int? threads)
    {
        var ws = _services.Value.GetRequiredService<Workspace>();
        if (threads is { } t)
        {
            if (t < 1) throw new CliException($"--threads must be at least 1; got {t}.");
            ws.IntraOpThreads = t;
        }
        return ws;
    }

    /// <summary>A predictor over a new weights workspace: the init net (if any) runs once into it; <paramref name="device"/> places both nets.</summary>
    public Predictor NewPredictor(int? threads, NetDef? init, NetDef net, int? device = null, bool optimize = true, IReadOnlyCollection<string>? keep = null) =>
        new(NewWorkspace(threads), init, net, new PredictorOptions { Device = device, Optimize = optimize, KeepBlobs = keep });

    /// <summary>Parses <c>--device</c>: <c>cpu</c> (the only device with kernels), or null when not given.</summary>
    public static int? ParseDevice(string? device) => device switch
    {
        null => null,
        _ when device.Equals("cpu", StringComparison.OrdinalIgnoreCase) => (int)DeviceTypeProto.ProtoCpu,
        _ => throw new CliException($"--device {device}: unknown device; this runtime has kernels for 'cpu' only."),
    };

    public void Dispose()
    {
        if (_services.IsValueCreated) _services.Value.Dispose();
    }

    /// <summary>
    /// Adds a plugin's pack as a user's <c>AddXxx()</c> would, at the plugin's path as its site; a
    /// failure (such as an operator or pack registered already) names the plugin file and the pack.
    /// </summary>
    private static void AddPluginPack(Caffe2SharpBuilder builder, string plugin, IOperatorPack pack)
    {
        var name = pack.Name;
        CliException Failed(Exception e) => new($"{plugin}: operator pack '{name}' failed to register: {e.Message}");
        try
        {
            builder.AddOperatorPack(name, catalog =>
            {
                try
                {
                    pack.Register(catalog);
                }
                catch (Exception e)
                {
                    throw Failed(e);
                }
            }, file: plugin, line: 0);
        }
        catch (InvalidOperationException e)
        {
            throw Failed(e);
        }
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
    public static Dictionary<string, Tensor> ReadInputs(IEnumerable<string> inputs, TensorFormat format = TensorFormat.Caffe2)
    {
        var fed = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var pair in inputs)
        {
            var (name, file) = SplitPair(pair, "--input");
            if (!fed.TryAdd(name, TensorFiles.Read(file, format))) throw new CliException($"--input {name}: given twice.");
        }
        return fed;
    }
}
