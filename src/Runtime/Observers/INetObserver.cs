// Hand-written.
namespace Caffe2Sharp.Runtime;

/// <summary>
/// Hooks an executor calls around a net run and around each operator (Caffe2's
/// <c>ObserverBase&lt;NetBase&gt;</c> with its operator observers; ONNX Runtime's profiler).
/// Attach one with <see cref="NetBase.AttachObserver"/>, or to every net a workspace creates with
/// <see cref="Workspace.AddNetObserver"/>.
/// </summary>
/// <remarks>
/// Hooks run on the thread running the net, inside the run: keep them short and
/// allocation-free. When an operator fails, neither its stop hook nor the net's is called; the next
/// run starts with <see cref="OnNetStart"/> again. An exception thrown by a hook ends the run and
/// reaches the caller as it is.
/// </remarks>
public interface INetObserver
{
    /// <summary>Called before the first operator of a run.</summary>
    void OnNetStart(NetBase net);

    /// <summary>Called after the last operator of a successful run.</summary>
    void OnNetStop(NetBase net);

    /// <summary>Called before operator <paramref name="index"/> (of <see cref="NetBase.Operators"/>) runs.</summary>
    void OnOperatorStart(NetBase net, int index);

    /// <summary>Called after operator <paramref name="index"/> ran successfully.</summary>
    void OnOperatorStop(NetBase net, int index);
}
