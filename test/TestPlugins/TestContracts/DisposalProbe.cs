namespace TestContracts;

/// <summary>Passed by a test as load data: a plugin registers what it creates here with IPluginContext.RegisterForDispose.</summary>
public sealed class DisposalProbe(ProbeSession session)
{
    public IDisposable Create(string pluginName) => new Registration(session, pluginName);

    private sealed class Registration(ProbeSession session, string pluginName) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                session.Record($"{pluginName}:Disposed");
            }
        }
    }
}
