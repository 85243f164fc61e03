// Hand-written.
using System.Diagnostics.CodeAnalysis;

namespace Caffe2Sharp.Schema;

/// <summary>
/// The exception Caffe2Sharp throws when a condition that the IR, a schema or an operator
/// requires is not met (Caffe2's <c>CAFFE_ENFORCE</c>). The message says what was expected and
/// names the operator, blob, argument or file at fault.
/// </summary>
public class EnforceNotMetException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public EnforceNotMetException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public EnforceNotMetException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>Caffe2-style checks. Keep them out of hot loops: the message is built by the caller.</summary>
public static class Enforce
{
    /// <summary>Throws <see cref="EnforceNotMetException"/> with <paramref name="message"/> when <paramref name="condition"/> is false.</summary>
    public static void That([DoesNotReturnIf(false)] bool condition, string message)
    {
        if (!condition) Fail(message);
    }

    /// <summary>
    /// Throws <see cref="EnforceNotMetException"/> when <paramref name="condition"/> is false; the
    /// message is built only then, so the check is cheap when it passes.
    /// </summary>
    public static void That([DoesNotReturnIf(false)] bool condition, Func<string> message)
    {
        if (!condition) Fail(message());
    }

    /// <summary>Throws <see cref="EnforceNotMetException"/> unconditionally.</summary>
    [DoesNotReturn]
    public static void Fail(string message) => throw new EnforceNotMetException(message);
}
