using Microsoft.Extensions.Logging;

namespace Hotswap;

internal sealed class PluginContext : IPluginContext
{
    private readonly List<IDisposable> _registrations = [];
    private bool _released;

    public PluginContext(string pluginName, string version, ILogger logger, IServiceProvider services, object? data)
    {
        PluginName = pluginName;
        Version = version;
        Logger = logger;
        Services = services;
        Data = data;
    }

    public string PluginName { get; }

    public string Version { get; }

    public ILogger Logger { get; }

    public IServiceProvider Services { get; }

    public object? Data { get; private set; }

    public void RegisterForDispose(IDisposable disposable)
    {
        ArgumentNullException.ThrowIfNull(disposable);
        lock (_registrations)
        {
            if (!_released)
            {
                _registrations.Add(disposable);
                return;
            }
        }

        // The version already retired: release at once rather than keep it alive.
        disposable.Dispose();
    }

    /// <summary>Disposes every registration, newest first; returns the failures.</summary>
    public List<Exception> Release()
    {
        IDisposable[] registrations;
        lock (_registrations)
        {
            _released = true;
            registrations = [.. _registrations];
            _registrations.Clear();
            Data = null;
        }

        var failures = new List<Exception>();
        for (int i = registrations.Length - 1; i >= 0; i--)
        {
            try
            {
                registrations[i].Dispose();
            }
#pragma warning disable CA1031 // Isolation boundary: one failing registration must not stop the others from being released.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failures.Add(ex);
            }
        }

        return failures;
    }
}
