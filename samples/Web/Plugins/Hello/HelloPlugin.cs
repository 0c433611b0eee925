using Hotswap;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

[assembly: HotswapPlugin(typeof(Web.Hello.HelloPlugin))]

namespace Web.Hello;

/// <summary>Serves GET /hello: a JSON greeting of a type of its own, so System.Text.Json caches a plugin type.</summary>
public sealed class HelloPlugin : Plugin
{
#if DEMO_V2
    public const string Tag = "v2";
#else
    public const string Tag = "v1";
#endif

    public override object? Export() => new Endpoints();

    /// <summary>What GET /hello returns; a plugin type, serialized by the host's System.Text.Json.</summary>
    public sealed record Greeting(string Version, string Text);

    private sealed class Endpoints : IPluginEndpoints
    {
        public void MapEndpoints(IEndpointRouteBuilder endpoints)
        {
            endpoints.MapGet("/hello", async (string? name) =>
            {
                await Task.Yield(); // an async handler: its request holds its lease across the await
                return Results.Json(new Greeting(Tag, $"{(Tag == "v1" ? "hello" : "good day")}, {name ?? "you"}"));
            });
        }
    }
}
