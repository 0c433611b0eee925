using System.ComponentModel;

namespace Hotswap;

/// <summary>
/// Where generated proxies register themselves (from a module initializer), so that
/// <see cref="PluginHost.GetProxy{T}(string)"/> creates them without reflection.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class PluginProxyRegistry
{
    /// <summary>Registers the factory of the proxy for <typeparamref name="TContract"/>; the last registration wins.</summary>
    /// <typeparam name="TContract">The contract interface.</typeparam>
    /// <param name="factory">Creates a proxy bound to one plugin.</param>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> is <see langword="null"/>.</exception>
    public static void Register<TContract>(Func<ProxyBinding, TContract> factory)
        where TContract : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        Volatile.Write(ref Factories<TContract>.Factory, factory);
    }

    internal static Func<ProxyBinding, TContract>? Find<TContract>()
        where TContract : class
        => Volatile.Read(ref Factories<TContract>.Factory);

    private static class Factories<TContract>
        where TContract : class
    {
        public static Func<ProxyBinding, TContract>? Factory;
    }
}
