using System.Collections.Concurrent;

namespace Extension.Contracts;

public interface IGreeter
{
    string Greet(string name);
}

/// <summary>The host's vault extension: created per generation by the host, filled by plugins in OnInitAsync.</summary>
public sealed class Greeters
{
    private readonly ConcurrentDictionary<string, IGreeter> _greeters = new(StringComparer.Ordinal);

    public void Add(string name, IGreeter greeter) => _greeters[name] = greeter;

    public IGreeter this[string name] => _greeters[name];

    public IReadOnlyCollection<string> Names => [.. _greeters.Keys];
}
