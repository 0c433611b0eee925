using System.Net;
using Hotswap.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using TestContracts;

namespace Hotswap.Tests.AspNetCore;

public sealed class PluginEndpointsTests : IDisposable
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task MapPluginEndpoints_AfterLoad_ServesThePluginsEndpoints()
    {
        await _root.PublishAsync(Fixtures.WebGreeterV1, "web");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        await using PluginWebApp web = await PluginWebApp.StartAsync(WebServer.TestServer, app => app.MapPluginEndpoints(host));

        Assert.Equal("v1 v1", await web.GetStringAsync("/hello"));
        Assert.Contains("\"version\":\"v1\"", await web.GetStringAsync("/json"), StringComparison.Ordinal);
        Assert.Equal("v1", await web.GetStringAsync("/v1-only"));
        using HttpResponseMessage missing = await web.Client.GetAsync("/nowhere");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task RollbackAsync_WhileTheNewerGenerationStillDrains_ServesTheOlderGenerationsEndpointsAtOnce()
    {
        await _root.PublishAsync(Fixtures.WebGreeterV1, "web");
        await using PluginHost host = _root.CreateHost(o => o.Probation = TimeSpan.FromHours(1));
        (await host.LoadAsync()).EnsureSuccess();
        await using PluginWebApp web = await PluginWebApp.StartAsync(WebServer.TestServer, app => app.MapPluginEndpoints(host));
        await _root.PublishAsync(Fixtures.WebGreeterV2, "web");
        (await host.ReloadAsync()).EnsureSuccess();
        Assert.Equal("v2 v2", await web.GetStringAsync("/hello"));
        using (HttpResponseMessage gone = await web.Client.GetAsync("/v1-only"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        using (GenerationLease draining = host.Acquire()) // keeps generation 2 from draining, so nothing but the rollback changes the table
        {
            (await host.RollbackAsync()).EnsureSuccess();

            Assert.Equal("v1 v1", await web.GetStringAsync("/hello"));
            Assert.Equal("v1", await web.GetStringAsync("/v1-only"));
            Assert.Equal(2, draining.Generation.Number);
        }
    }

    [Fact]
    public async Task MapPluginEndpoints_BeforeFirstLoad_ServesTheFirstGenerationOnceLoaded()
    {
        await _root.PublishAsync(Fixtures.WebGreeterV1, "web");
        await using PluginHost host = _root.CreateHost();
        await using PluginWebApp web = await PluginWebApp.StartAsync(WebServer.TestServer, app => app.MapPluginEndpoints(host));
        using (HttpResponseMessage before = await web.Client.GetAsync("/hello"))
        {
            Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        }

        (await host.LoadAsync()).EnsureSuccess();

        Assert.Equal("v1 v1", await web.GetStringAsync("/hello"));
    }

    [Fact]
    public async Task MapPluginEndpoints_FromServicesInARouteGroup_ServesUnderThePrefixWithTheConventions()
    {
        await _root.PublishAsync(Fixtures.WebGreeterV1, "web");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        await using PluginWebApp web = await PluginWebApp.StartAsync(
            WebServer.TestServer,
            app =>
            {
                app.UseRouting();
                app.Use((context, next) =>
                {
                    if (context.GetEndpoint()?.Metadata.GetMetadata<HostTag>() is { } tag)
                    {
                        context.Response.Headers["X-Host-Tag"] = tag.Value;
                    }

                    return next(context);
                });
                app.MapGroup("/plugins").MapPluginEndpoints().WithMetadata(new HostTag("tagged"));
            },
            services => services.AddSingleton(host));

        using (HttpResponseMessage tagged = await web.Client.GetAsync("/plugins/hello"))
        {
            Assert.Equal("v1 v1", await tagged.Content.ReadAsStringAsync());
            Assert.Equal("tagged", Assert.Single(tagged.Headers.GetValues("X-Host-Tag")));
        }

        using HttpResponseMessage unprefixed = await web.Client.GetAsync("/hello");
        Assert.Equal(HttpStatusCode.NotFound, unprefixed.StatusCode);

        await _root.PublishAsync(Fixtures.WebGreeterV2, "web");
        (await host.ReloadAsync()).EnsureSuccess();
        Assert.Equal("v2 v2", await web.GetStringAsync("/plugins/hello"));
    }

    [Fact]
    public async Task Reload_WhileRequestInFlight_CompletesOnOldVersionAndFreesItAfter()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.WebGreeterV1, "web");
        await using PluginHost host = _root.CreateHost();
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        await using PluginWebApp web = await PluginWebApp.StartAsync(WebServer.TestServer, app => app.MapPluginEndpoints(host));
        ProbeGate gate = _root.Probe.Gate("held");
        Task<string> held = web.GetStringAsync("/hold/held");
        await gate.Entered.WaitAsync(s_bound);

        await _root.PublishAsync(Fixtures.WebGreeterV2, "web");
        (await host.ReloadAsync()).EnsureSuccess();

        Assert.Equal("v2 v2", await web.GetStringAsync("/hello"));
        Assert.DoesNotContain("web:OnFree", _root.Events);
        Assert.False(held.IsCompleted);

        gate.Release();
        Assert.Equal("v1", await held.WaitAsync(s_bound));
        await observer.WhenUnloaded("web", v1.Version);
        List<string> events = [.. _root.Events];
        Assert.Single(events, "web:OnFree");
        Assert.True(events.IndexOf("web:Held(held)") < events.IndexOf("web:OnFree"), string.Join(", ", events));
    }

    [Fact]
    public async Task DisposeAsync_HostWhoseEndpointsAreMapped_UnloadsTheServingVersion()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.WebGreeterV1, "web");
        PluginHost host = _root.CreateHost();
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        await using PluginWebApp web = await PluginWebApp.StartAsync(WebServer.TestServer, app => app.MapPluginEndpoints(host));
        Assert.Equal("v1 v1", await web.GetStringAsync("/hello"));

        // The web app outlives the host: its endpoint table must not keep the last version loaded.
        await host.DisposeAsync();
        await observer.WhenUnloaded("web", v1.Version);

        using HttpResponseMessage after = await web.Client.GetAsync("/hello");
        Assert.Contains(after.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.ServiceUnavailable });
    }

    [Fact]
    public async Task Reload_BetweenRoutingAndExecution_RunsTheLeasedGenerationsEndpoint()
    {
        await _root.PublishAsync(Fixtures.WebGreeterV1, "web");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        var paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using PluginWebApp web = await PluginWebApp.StartAsync(WebServer.TestServer, app => MapPausing(app, host, paused, resume));

        Task<HttpResponseMessage> hello = web.Client.GetAsync("/hello?pause=1");
        await paused.Task.WaitAsync(s_bound);
        await _root.PublishAsync(Fixtures.WebGreeterV2, "web");
        (await host.ReloadAsync()).EnsureSuccess();
        resume.SetResult();

        using HttpResponseMessage response = await hello.WaitAsync(s_bound);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("v2 v2", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Reload_BetweenRoutingAndExecution_RouteGoneFromTheLeasedGeneration_Returns404()
    {
        await _root.PublishAsync(Fixtures.WebGreeterV1, "web");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        var paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using PluginWebApp web = await PluginWebApp.StartAsync(WebServer.TestServer, app => MapPausing(app, host, paused, resume));

        Task<HttpResponseMessage> v1Only = web.Client.GetAsync("/v1-only?pause=1");
        await paused.Task.WaitAsync(s_bound);
        await _root.PublishAsync(Fixtures.WebGreeterV2, "web");
        (await host.ReloadAsync()).EnsureSuccess();
        resume.SetResult();

        using HttpResponseMessage response = await v1Only.WaitAsync(s_bound);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using HttpResponseMessage after = await web.Client.GetAsync("/v1-only");
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    /// <summary>Routing, then a middleware that holds requests asking for it, then the plugin endpoints.</summary>
    private static void MapPausing(WebApplication app, PluginHost host, TaskCompletionSource paused, TaskCompletionSource resume)
    {
        app.UseRouting();
        app.Use(async (context, next) =>
        {
            if (context.Request.Query.ContainsKey("pause"))
            {
                Assert.NotNull(context.GetEndpoint()); // routed already, on the generation serving then.
                paused.TrySetResult();
                await resume.Task;
            }

            await next(context);
        });
        app.MapPluginEndpoints(host);
    }

    private sealed record HostTag(string Value);
}
