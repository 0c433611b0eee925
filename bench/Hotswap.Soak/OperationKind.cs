namespace Hotswap.Soak;

/// <summary>The operations a <see cref="Caller"/> runs, each checked in its own way.</summary>
internal enum OperationKind
{
    /// <summary>A synchronous call through the proxy.</summary>
    Proxy,

    /// <summary>Two calls in one <c>host.Invoke(name, lambda, state)</c>.</summary>
    LambdaPair,

    /// <summary>Two calls through one <c>host.Acquire()</c> lease, on one thread.</summary>
    LeasePair,

    /// <summary>A proxy call that spans an <c>await Task.Yield()</c> in the plugin.</summary>
    AsyncProxy,

    /// <summary>Two calls through one <c>host.Acquire()</c> lease with an <c>await Task.Yield()</c> between them.</summary>
    AsyncLeasePair,

    /// <summary>A proxy call that spans an <c>await Task.Delay(1)</c> in the plugin.</summary>
    DelayedAsyncProxy,
}
