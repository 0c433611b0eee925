using Hotswap;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Snippets;

public static class AspNetCoreSnippets
{
    public static async Task WebAsync(string[] args)
    {
        #region aspnetcore
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        builder.Services.AddHotswap().AddHealthChecks();       // PluginHost in DI; loads on start, drains on stop
        builder.Services.AddAuthorization(o => o.AddPolicy("ops", p => p.RequireRole("ops")));
        WebApplication app = builder.Build();
        app.MapPluginEndpoints();                               // every plugin's endpoints, swapped live
        app.MapHotswapStatus("/hotswap", o => o.AuthorizationPolicy = "ops");
        app.MapHealthChecks("/health");
        await app.RunAsync();
        #endregion
    }

    #region aspnetcore-plugin
    // In the plugin (it references Hotswap.AspNetCore and ASP.NET Core as shared): export endpoints.
    public sealed class HelloPlugin : Plugin
    {
        public override object? Export() => new Endpoints();

        private sealed class Endpoints : IPluginEndpoints
        {
            public void MapEndpoints(IEndpointRouteBuilder endpoints)
                => endpoints.MapGet("/hello", () => Results.Ok("hello from this version"));
        }
    }
    #endregion
}
