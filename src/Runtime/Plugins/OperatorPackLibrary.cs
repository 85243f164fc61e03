// Hand-written.
using System.Reflection;
using System.Runtime.Loader;

namespace Caffe2Sharp.Runtime;

/// <summary>
/// Loads the operator packs of a plugin assembly, like Caffe2's <c>dyndep.InitOpsLibrary</c>: the
/// assembly loads in its own <see cref="AssemblyLoadContext"/>, Caffe2Sharp's assemblies (and any
/// assembly the host has loaded) resolve to the host's copies so the plugin's types are the host's,
/// and its private dependencies load from its folder. Only the types named by
/// <see cref="Caffe2SharpOperatorPackAttribute"/> are looked at.
/// </summary>
public static class OperatorPackLibrary
{
    /// <summary>Loads the assembly at <paramref name="path"/> and creates each pack it declares, in declaration order.</summary>
    /// <exception cref="OperatorPackLoadException">The file is missing, not a .NET assembly, built against an
    /// incompatible Caffe2Sharp, declares no pack, or a pack type is unusable; the message names the file.</exception>
    public static IReadOnlyList<IOperatorPack> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw Fail(path, "file not found.");
        Assembly assembly;
        try
        {
            assembly = new PluginLoadContext(full).LoadFromAssemblyPath(full);
        }
        catch (BadImageFormatException)
        {
            throw Fail(path, "not a .NET assembly.");
        }
        catch (Exception e) when (e is FileLoadException or InvalidOperationException)
        {
            throw Fail(path, $"fails to load: {e.Message}");
        }
        var host = typeof(IOperatorPack).Assembly.GetName();
        if (IncompatibleReference(assembly.GetReferencedAssemblies(), host) is { } stale)
            throw Fail(path, $"built against an incompatible Caffe2Sharp: it references {stale.Name} {stale.Version}, the host is {host.Version}.");
        try
        {
            var declared = assembly.GetCustomAttributes<Caffe2SharpOperatorPackAttribute>().ToList();
            if (declared.Count == 0)
                throw Fail(path, "declares no operator pack: add [assembly: Caffe2SharpOperatorPack(typeof(...))].");
            return declared.Select(a => Create(path, a.PackType)).ToList();
        }
        catch (Exception e) when (e is TypeLoadException or ReflectionTypeLoadException or FileLoadException or FileNotFoundException
            or MissingMethodException or MissingFieldException or BadImageFormatException)
        {
            throw Fail(path, $"built against an incompatible Caffe2Sharp (host {host.Version}) or missing a dependency: {e.Message}");
        }
    }

    /// <summary>The first Caffe2Sharp assembly <paramref name="references"/> names with a major version other than <paramref name="host"/>'s, if any.</summary>
    internal static AssemblyName? IncompatibleReference(IEnumerable<AssemblyName> references, AssemblyName host) =>
        references.FirstOrDefault(r => r.Name is { } n && n.StartsWith("Caffe2Sharp.", StringComparison.Ordinal)
            && r.Version is { } v && v.Major != host.Version?.Major);

    private static IOperatorPack Create(string path, Type type)
    {
        if (!typeof(IOperatorPack).IsAssignableFrom(type))
            throw Fail(path, $"pack type {type.FullName} does not implement {typeof(IOperatorPack).FullName}.");
        if (type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null)
            throw Fail(path, $"pack type {type.FullName} needs a public parameterless constructor.");
        try
        {
            return (IOperatorPack)Activator.CreateInstance(type)!;
        }
        catch (TargetInvocationException e)
        {
            throw Fail(path, $"pack type {type.FullName}'s constructor threw: {e.InnerException?.Message}");
        }
    }

    private static OperatorPackLoadException Fail(string path, string reason) => new($"{path}: {reason}");

    /// <summary>One plugin's load context: shared assemblies from the host, private ones from the plugin's folder.</summary>
    private sealed class PluginLoadContext(string path) : AssemblyLoadContext($"plugin {Path.GetFileName(path)}")
    {
        private readonly AssemblyDependencyResolver _resolver = new(path);

        protected override Assembly? Load(AssemblyName name)
        {
            if (name.Name is not { } simple) return null;
            if (Default.Assemblies.FirstOrDefault(a => a.GetName().Name == simple) is { } loaded) return loaded;
            if (IsShared(simple))
            {
                try
                {
                    return Default.LoadFromAssemblyName(new AssemblyName(simple)); // the host's copy, whatever version the plugin was built against
                }
                catch (FileNotFoundException)
                {
                    // Not one the host has: the plugin's own.
                }
            }
            return _resolver.ResolveAssemblyToPath(name) is { } file ? LoadFromAssemblyPath(file) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } file ? LoadUnmanagedDllFromPath(file) : IntPtr.Zero;

        private static bool IsShared(string name) =>
            name.StartsWith("Caffe2Sharp.", StringComparison.Ordinal) || name is "Google.Protobuf" or "Microsoft.Extensions.DependencyInjection.Abstractions";
    }
}

/// <summary>A plugin assembly could not supply its operator packs; the message is one line naming the file.</summary>
public sealed class OperatorPackLoadException(string message) : Exception(message);
