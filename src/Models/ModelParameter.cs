// Hand-written.
namespace Caffe2Sharp.Models;

/// <summary>
/// A parameter a <see cref="ModelHelper"/> created: its blob, its shape and how the init net fills it.
/// </summary>
/// <param name="Name">The full (scoped) blob name, e.g. <c>gpu_0/conv1_w</c>.</param>
/// <param name="Shape">The dims the init net gives it.</param>
/// <param name="Initializer">The fill that creates it in the init net.</param>
/// <param name="IsComputed">
/// True for what Caffe2 calls a computed parameter, not trained by gradients (SpatialBN's running
/// mean <c>_rm</c> and variance <c>_riv</c>); listed after the trainable ones in the predict net's
/// external inputs, as Caffe2's exported nets list them.
/// </param>
public sealed record ModelParameter(string Name, IReadOnlyList<long> Shape, Initializer Initializer, bool IsComputed);
