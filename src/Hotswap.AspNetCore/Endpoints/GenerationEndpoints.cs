using Microsoft.AspNetCore.Http;

namespace Hotswap;

/// <summary>
/// The endpoints of one generation: the host's wrappers that routing sees, and, by route key, the
/// plugins' request delegates they run. Immutable once built; dropped as a whole at the next switch,
/// which is what lets the old versions unload.
/// </summary>
internal sealed class GenerationEndpoints
{
    public static readonly GenerationEndpoints None = new(0, [], new Dictionary<string, RequestDelegate>(StringComparer.Ordinal), []);

    private readonly Dictionary<string, RequestDelegate> _byKey;
    private readonly HashSet<PluginVersionInfo> _versions;

    public GenerationEndpoints(long number, IReadOnlyList<PluginVersionInfo> versions, Dictionary<string, RequestDelegate> byKey, IReadOnlyList<Microsoft.AspNetCore.Http.Endpoint> endpoints)
    {
        Number = number;
        _versions = [.. versions];
        _byKey = byKey;
        Endpoints = endpoints;
    }

    /// <summary>Gets the generation's number; 0 for <see cref="None"/>.</summary>
    public long Number { get; }

    /// <summary>Gets the wrapped endpoints routing matches against.</summary>
    public IReadOnlyList<Microsoft.AspNetCore.Http.Endpoint> Endpoints { get; private set; }

    /// <summary>Returns whether a plugin version of this generation contributed to it.</summary>
    public bool Uses(PluginVersionInfo version) => _versions.Contains(version);

    /// <summary>Finds the plugin's delegate for a route key (HTTP methods and pattern).</summary>
    public RequestDelegate? Find(string key) => _byKey.TryGetValue(key, out RequestDelegate? target) ? target : null;

    /// <summary>Sets the wrapped endpoints; only while the table is being built, before it is published.</summary>
    public void SetEndpoints(IReadOnlyList<Microsoft.AspNetCore.Http.Endpoint> endpoints) => Endpoints = endpoints;
}
