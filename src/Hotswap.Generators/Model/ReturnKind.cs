namespace Hotswap.Generators;

/// <summary>How a proxy member holds its lease, decided by the member's return type.</summary>
internal enum ReturnKind
{
    /// <summary>A value: released when the member returns or throws.</summary>
    Value,

    /// <summary>No value (<c>void</c>): released when the member returns or throws.</summary>
    Void,

    /// <summary><c>Task</c>, <c>Task&lt;T&gt;</c>, <c>ValueTask</c> or <c>ValueTask&lt;T&gt;</c>: released when the task completes.</summary>
    Task,

    /// <summary><c>IAsyncEnumerable&lt;T&gt;</c>: the plugin is called per enumeration, and the lease released when the enumerator is disposed.</summary>
    AsyncEnumerable,

    /// <summary><c>IEnumerable&lt;T&gt;</c>: as <see cref="AsyncEnumerable"/>.</summary>
    Enumerable,

    /// <summary><c>System.Collections.IEnumerable</c>: as <see cref="Enumerable"/>, with <see langword="object"/> elements.</summary>
    UntypedEnumerable,

    /// <summary>Another awaitable: the proxy cannot track it, so the parser reports HSW004 and no model holds it.</summary>
    OtherAwaitable,
}
