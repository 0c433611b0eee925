namespace Snippets;

#region contract
// A contract assembly: referenced by the host and by the plugins, loaded once, by the host.
// [PluginContract] makes the host's generator write a proxy for it (see docs/proxies.md).
[Hotswap.PluginContract]
public interface IGreeter
{
    string Greet(string name);
}
#endregion

public interface IClock
{
    DateTimeOffset Now { get; }
}

public interface IJobHandler
{
    string Handle(Hotswap.LiveData data);
}

public sealed record Job(string Kind, string Name, Hotswap.LiveData Data);

public sealed class GreetingRegistry
{
    private readonly Dictionary<string, IGreeter> _greeters = [];

    public void Add(string plugin, IGreeter greeter) => _greeters[plugin] = greeter;

    public IGreeter this[string plugin] => _greeters[plugin];
}
