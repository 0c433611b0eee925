using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hotswap.Tests.Support;

/// <summary>Where a test web application listens: in memory, or on a real loopback port.</summary>
public enum WebServer
{
    TestServer,
    Kestrel,
}

/// <summary>A web application for the ASP.NET Core tests, served by <see cref="TestServer"/> or by Kestrel on 127.0.0.1:0.</summary>
public sealed class PluginWebApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PluginWebApp(WebApplication app, HttpClient client)
    {
        _app = app;
        Client = client;
    }

    public HttpClient Client { get; }

    public Uri BaseAddress => Client.BaseAddress!; // both clients are made with a base address.

    public IServiceProvider Services => _app.Services;

    public static async Task<PluginWebApp> StartAsync(WebServer server, Action<WebApplication> map, Action<IServiceCollection>? services = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (server == WebServer.Kestrel)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.UseTestServer();
        }

        services?.Invoke(builder.Services);
        WebApplication app = builder.Build();
        map(app);
        await app.StartAsync();
        HttpClient client;
        if (server == WebServer.Kestrel)
        {
            string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First(); // Kestrel always has the feature.
            client = new HttpClient { BaseAddress = new Uri(address) };
        }
        else
        {
            client = app.GetTestClient();
        }

        return new PluginWebApp(app, client);
    }

    public async Task<string> GetStringAsync(string path)
    {
        using HttpResponseMessage response = await Client.GetAsync(path);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return body;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
