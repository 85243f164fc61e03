// Hand-written.
using System.Runtime.CompilerServices;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// One operator pack registered in a service collection: a name, the function that registers its
/// schemas, kernels and gradients into an <see cref="OperatorCatalog"/>, and where it was added.
/// </summary>
/// <param name="Name">Pack name; adding the same pack twice is an error.</param>
/// <param name="Register">Registers the pack's operators.</param>
/// <param name="Site">Source file and line of the call that added the pack.</param>
public sealed record OperatorPackRegistration(string Name, Action<OperatorCatalog> Register, string Site);

/// <summary>Adds operator packs to a service collection; returned by <see cref="Caffe2SharpServiceCollectionExtensions.AddCaffe2Sharp"/>.</summary>
public sealed class Caffe2SharpBuilder
{
    internal Caffe2SharpBuilder(IServiceCollection services) => Services = services;

    /// <summary>The underlying service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Adds an operator pack. Operator packs (ours and users') expose an extension method such as
    /// <c>AddLeakyRelu()</c> that calls this.
    /// </summary>
    /// <param name="name">The pack's name, unique among the packs added.</param>
    /// <param name="register">Registers the pack's schemas, operators and gradient makers.</param>
    /// <param name="file">Where the pack is added (the caller's file unless given, e.g. a plugin's path).</param>
    /// <param name="line">The caller's line; 0 when <paramref name="file"/> is not a source file.</param>
    /// <remarks>Adding the same pack again (same name, same registration method) is a no-op.</remarks>
    /// <exception cref="InvalidOperationException">A different pack of that name was added already; the message names both call sites.</exception>
    public Caffe2SharpBuilder AddOperatorPack(string name, Action<OperatorCatalog> register,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(register);
        var site = line > 0 ? $"{file}:{line}" : file;
        foreach (var d in Services)
            if (d.ServiceType == typeof(OperatorPackRegistration) && d.ImplementationInstance is OperatorPackRegistration existing && existing.Name == name)
            {
                // The same pack again (AddStandardOperators().AddLeakyRelu()) is already there: the
                // same method, on the same object or (an IOperatorPack) on another instance of the same pack type.
                if (existing.Register.Equals(register) || SamePackType(existing.Register, register)) return this;
                throw new InvalidOperationException($"Operator pack '{name}' is added twice with different registrations: first at {existing.Site}, again at {site}.");
            }
        Services.AddSingleton(new OperatorPackRegistration(name, register, site));
        return this;
    }

    /// <summary>
    /// Adds an <see cref="IOperatorPack"/> under its <see cref="IOperatorPack.Name"/>: the form a
    /// pack shipped as a library (and loadable with <c>caffe2sharp --plugin</c>) takes.
    /// </summary>
    /// <exception cref="InvalidOperationException">A different pack of that name was added already.</exception>
    public Caffe2SharpBuilder AddOperatorPack(IOperatorPack pack, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(pack);
        return AddOperatorPack(pack.Name, pack.Register, file, line);
    }

    private static bool SamePackType(Action<OperatorCatalog> a, Action<OperatorCatalog> b) =>
        a.Method == b.Method && a.Target is IOperatorPack && a.Target?.GetType() == b.Target?.GetType();
}

/// <summary>The DI entry point: a thin adapter over the plain registries.</summary>
public static class Caffe2SharpServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Caffe2Sharp runtime: a singleton <see cref="OperatorCatalog"/> built from
    /// every added operator pack, in the order added; a singleton <see cref="ComputePool"/> (the
    /// runtime's threads, sized by <paramref name="configurePool"/>, stopped when the provider is
    /// disposed); and a transient <see cref="Workspace"/> over both. Idempotent: a second call adds
    /// nothing (its <paramref name="configurePool"/> is ignored) and returns a builder over the same
    /// collection.
    /// </summary>
    public static Caffe2SharpBuilder AddCaffe2Sharp(this IServiceCollection services, Func<ComputePoolOptions, ComputePoolOptions>? configurePool = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Any(d => d.ServiceType == typeof(OperatorCatalog)))
        {
            var poolOptions = configurePool?.Invoke(new ComputePoolOptions()) ?? new ComputePoolOptions();
            services.AddSingleton(_ => new ComputePool(poolOptions));
            services.AddSingleton(sp =>
            {
                var catalog = new OperatorCatalog();
                foreach (var pack in sp.GetServices<OperatorPackRegistration>())
                {
                    try
                    {
                        pack.Register(catalog);
                    }
                    catch (InvalidOperationException e)
                    {
                        throw new InvalidOperationException($"Operator pack '{pack.Name}' (added at {pack.Site}) failed to register: {e.Message}", e);
                    }
                }
                return catalog;
            });
            services.AddTransient(sp => new Workspace(sp.GetRequiredService<OperatorCatalog>(), sp.GetRequiredService<ComputePool>()));
        }
        return new Caffe2SharpBuilder(services);
    }
}
