using Hotswap;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using TestContracts;

[assembly: HotswapPlugin(typeof(WebGreeter.WebGreeterPlugin))]

namespace WebGreeter;

/// <summary>
/// Serves endpoints tagged with its build's version: GET /hello ("v1 v1": the tag before and after
/// an await), GET /json (a plugin type serialized by the host's JSON options), GET /hold/{gate}
/// (held in flight on the probe gate until the test releases it), and, in v1 only, GET /v1-only.
/// Records OnFree to the probe session; throws in OnLoad when the setting "name.throwIn" is "OnLoad".
/// </summary>
public sealed class WebGreeterPlugin : Plugin
{
#if WEBGREETER_V2
    public const string Tag = "v2";
#else
    public const string Tag = "v1";
#endif

    private readonly PluginLocation _where;

    public WebGreeterPlugin() => _where = Probe.Locate(typeof(WebGreeterPlugin).Assembly);

    public override object? Export() => new Endpoints(_where);

    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        if (_where.Setting("throwIn") == "OnLoad")
        {
            throw new InvalidOperationException($"{_where.PluginName} {Tag} throws in OnLoad on purpose");
        }

        return Task.CompletedTask;
    }

    public override Task OnFreeAsync(CancellationToken cancellationToken)
    {
        _where.Record("OnFree");
        return Task.CompletedTask;
    }

    private sealed class Endpoints(PluginLocation where) : IPluginEndpoints
    {
        public void MapEndpoints(IEndpointRouteBuilder endpoints)
        {
            endpoints.MapGet("/hello", async () =>
            {
                string before = Tag;
                await Task.Yield();
                return $"{before} {Tag}";
            });
            endpoints.MapGet("/json", () => new Reply(Tag, [1, 2, 3]));
            endpoints.MapGet("/hold/{gate}", async (string gate) =>
            {
                ProbeGate held = where.Session.Gate(gate);
                held.Enter();
                await held.Released.ConfigureAwait(false);
                await Task.Yield();
                where.Record($"Held({gate})");
                return Tag;
            });
#if !WEBGREETER_V2
            endpoints.MapGet("/v1-only", () => Tag);
#endif
        }
    }

    /// <summary>A plugin type the host's System.Text.Json options serialize, and so cache, until the version retires.</summary>
    public sealed record Reply(string Version, int[] Numbers);
}
