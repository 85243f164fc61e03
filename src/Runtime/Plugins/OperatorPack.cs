// Hand-written.
namespace Caffe2Sharp.Runtime;

/// <summary>
/// An operator pack a plugin assembly ships: a name and the one method that registers its schemas,
/// kernels and gradient makers. Named by <see cref="Caffe2SharpOperatorPackAttribute"/>; needs a
/// public parameterless constructor.
/// </summary>
public interface IOperatorPack
{
    /// <summary>The pack's name, unique among the packs of a runtime (e.g. <c>Sample.Square</c>).</summary>
    string Name { get; }

    /// <summary>Registers the pack's operators into <paramref name="catalog"/>.</summary>
    void Register(OperatorCatalog catalog);
}

/// <summary>
/// Declares an operator pack of the assembly it is applied to, the explicit entry point a plugin
/// loader reads (no type scanning), like Caffe2's <c>dyndep.InitOpsLibrary</c> registrations:
/// <c>[assembly: Caffe2SharpOperatorPack(typeof(MyPack))]</c>. Repeatable.
/// </summary>
/// <param name="packType">A type implementing <see cref="IOperatorPack"/> with a public parameterless constructor.</param>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class Caffe2SharpOperatorPackAttribute(Type packType) : Attribute
{
    /// <summary>The pack type.</summary>
    public Type PackType { get; } = packType;
}
