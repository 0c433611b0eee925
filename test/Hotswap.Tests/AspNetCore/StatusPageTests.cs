using System.Net;
using System.Text.Json;
using Hotswap.Tests.Support;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Hotswap.Tests.AspNetCore;

public sealed class StatusPageTests : IDisposable
{
    private const string Policy = "hotswap-ops";
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task MapHotswapStatus_AfterSwap_ReportsTheServingVersionAndTheHistory()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.WebGreeterV1, "web");
        await using PluginHost host = _root.CreateHost();
        var observer = new HostObserver(host);
        await using PluginWebApp web = await StartAsync(host);
        (await host.LoadAsync()).EnsureSuccess();
        PublishResult v2 = await _root.PublishAsync(Fixtures.WebGreeterV2, "web");
        (await host.ReloadAsync()).EnsureSuccess();
        await observer.WhenUnloaded("web", v1.Version);

        using JsonDocument status = await GetJsonAsync(web, "/hotswap.json");
        JsonElement root = status.RootElement;
        Assert.Equal(2, root.GetProperty("generation").GetInt64());
        JsonElement plugin = Assert.Single(root.GetProperty("plugins").EnumerateArray());
        Assert.Equal("web", plugin.GetProperty("name").GetString());
        Assert.Equal(v2.Version, plugin.GetProperty("version").GetString());
        Assert.Equal(v2.Manifest.BuiltAt, plugin.GetProperty("builtAt").GetDateTimeOffset());
        Assert.Empty(root.GetProperty("retiring").EnumerateArray());
        Assert.Empty(root.GetProperty("stuck").EnumerateArray());
        JsonElement last = root.GetProperty("lastReload");
        Assert.True(last.GetProperty("succeeded").GetBoolean());
        Assert.Equal(JsonValueKind.Null, last.GetProperty("error").ValueKind);
        JsonElement outcome = Assert.Single(last.GetProperty("plugins").EnumerateArray());
        Assert.Equal("Loaded", outcome.GetProperty("outcome").GetString());
        Assert.Equal(v1.Version, outcome.GetProperty("previousVersion").GetString());
        Assert.Equal([2L, 1L], root.GetProperty("history").EnumerateArray().Select(static r => r.GetProperty("generation").GetInt64()));

        string html = await GetStringAsync(web, "/hotswap");
        Assert.Contains($"<td class=\"version\">{v2.Version}</td>", html, StringComparison.Ordinal);
        Assert.Contains("<strong id=\"generation\">2</strong>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapHotswapStatus_AfterFailedReload_ReportsTheErrorAndThePreviousVersionServing()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.WebGreeterV1, "web");
        await using PluginHost host = _root.CreateHost();
        await using PluginWebApp web = await StartAsync(host);
        (await host.LoadAsync()).EnsureSuccess();
        _root.Probe.Set("web.throwIn", "OnLoad");
        await _root.PublishAsync(Fixtures.WebGreeterV2, "web");
        Assert.False((await host.ReloadAsync()).Succeeded);

        using JsonDocument status = await GetJsonAsync(web, "/hotswap.json");
        JsonElement root = status.RootElement;
        Assert.Equal(1, root.GetProperty("generation").GetInt64());
        Assert.Equal(v1.Version, Assert.Single(root.GetProperty("plugins").EnumerateArray()).GetProperty("version").GetString());
        JsonElement last = root.GetProperty("lastReload");
        Assert.False(last.GetProperty("succeeded").GetBoolean());
        JsonElement error = last.GetProperty("error");
        Assert.Equal("web", error.GetProperty("plugin").GetString());
        Assert.Equal("OnLoad", error.GetProperty("phase").GetString());
        Assert.Contains("v2 throws in OnLoad on purpose", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, root.GetProperty("history").GetArrayLength());

        string html = await GetStringAsync(web, "/hotswap");
        Assert.Contains("v2 throws in OnLoad on purpose", html, StringComparison.Ordinal);
        Assert.Contains($"<td class=\"version\">{v1.Version}</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapHotswapStatus_WithARequestInFlight_ReportsTheCallsInFlightTheHostWrote()
    {
        var time = new ManualTimeProvider();
        await _root.PublishAsync(Fixtures.WebGreeterV1, "web");
        await using PluginHost host = _root.CreateHost(o => o.TimeProvider = time);
        (await host.LoadAsync()).EnsureSuccess();
        await using PluginWebApp web = await StartAsync(host);
        TestContracts.ProbeGate gate = _root.Probe.Gate("flight");
        Task<HttpResponseMessage> held = web.Client.GetAsync("/hold/flight");
        await gate.Entered.WaitAsync(TimeSpan.FromSeconds(30));

        time.Advance(new PluginHostOptions().StatusInterval); // the host rewrites its status file on this clock

        using (JsonDocument status = await GetJsonAsync(web, "/hotswap.json"))
        {
            Assert.Equal(1, status.RootElement.GetProperty("callsInFlight").GetInt64());
            Assert.Equal(time.GetUtcNow(), status.RootElement.GetProperty("callsInFlightAt").GetDateTimeOffset());
        }

        gate.Release();
        using HttpResponseMessage response = await held.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("v1", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("GET", "/hotswap")]
    [InlineData("GET", "/hotswap.json")]
    [InlineData("POST", "/hotswap/reload")]
    [InlineData("POST", "/hotswap/rollback")]
    public async Task MapHotswapStatus_WithPolicy_RefusesAnonymousAndUsersWithoutThePolicy(string method, string path)
    {
        await _root.PublishAsync(Fixtures.WebGreeterV1, "web");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        await using PluginWebApp web = await StartAsync(host);

        using var anonymous = new HttpRequestMessage(new HttpMethod(method), path);
        anonymous.Headers.Add("X-Hotswap-Action", path.EndsWith("rollback", StringComparison.Ordinal) ? "rollback" : "reload");
        using HttpResponseMessage refused = await web.Client.SendAsync(anonymous);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using var stranger = new HttpRequestMessage(new HttpMethod(method), path);
        stranger.Headers.Add("X-Hotswap-Action", path.EndsWith("rollback", StringComparison.Ordinal) ? "rollback" : "reload");
        stranger.Headers.Add("X-Test-User", "someone");
        using HttpResponseMessage forbidden = await web.Client.SendAsync(stranger);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(1, host.GenerationNumber);
    }

    [Fact]
    public async Task MapHotswapStatus_ReloadAction_NeedsTheActionHeaderAndReloads()
    {
        await _root.PublishAsync(Fixtures.WebGreeterV1, "web");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        await using PluginWebApp web = await StartAsync(host);
        PublishResult v2 = await _root.PublishAsync(Fixtures.WebGreeterV2, "web");

        using (HttpResponseMessage noHeader = await web.Client.SendAsync(Operator(HttpMethod.Post, "/hotswap/reload", action: false)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noHeader.StatusCode);
            Assert.Equal(1, host.GenerationNumber);
        }

        using HttpResponseMessage reloaded = await web.Client.SendAsync(Operator(HttpMethod.Post, "/hotswap/reload", action: true));
        Assert.Equal(HttpStatusCode.OK, reloaded.StatusCode);
        using JsonDocument result = JsonDocument.Parse(await reloaded.Content.ReadAsStringAsync());
        Assert.True(result.RootElement.GetProperty("succeeded").GetBoolean());
        Assert.Equal(2, result.RootElement.GetProperty("generation").GetInt64());
        Assert.Equal(2, host.GenerationNumber);
        Assert.Equal("v2 v2", await GetStringAsync(web, "/hello"));
        Assert.Contains(v2.Version, await GetStringAsync(web, "/hotswap"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapHotswapStatus_RollbackAction_NeedsItsHeaderSwitchesBackAndTheHistorySaysSo()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.WebGreeterV1, "web");
        await using PluginHost host = _root.CreateHost(o => o.Probation = TimeSpan.FromHours(1));
        (await host.LoadAsync()).EnsureSuccess();
        await using PluginWebApp web = await StartAsync(host);
        PublishResult v2 = await _root.PublishAsync(Fixtures.WebGreeterV2, "web");
        (await host.ReloadAsync()).EnsureSuccess();

        using (HttpRequestMessage wrong = Operator(HttpMethod.Post, "/hotswap/rollback"))
        {
            wrong.Headers.Add("X-Hotswap-Action", "reload"); // the reload header does not roll back
            using HttpResponseMessage refused = await web.Client.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("Send the header X-Hotswap-Action: rollback to rollback.", await refused.Content.ReadAsStringAsync());
        }

        using HttpResponseMessage rolledBack = await web.Client.SendAsync(Operator(HttpMethod.Post, "/hotswap/rollback", action: true));
        using JsonDocument result = JsonDocument.Parse(await rolledBack.Content.ReadAsStringAsync());
        Assert.True(result.RootElement.GetProperty("succeeded").GetBoolean());
        Assert.True(result.RootElement.GetProperty("rolledBack").GetBoolean());
        Assert.Equal("requested by RollbackAsync", result.RootElement.GetProperty("rollbackReason").GetString());
        Assert.Equal(1, result.RootElement.GetProperty("generation").GetInt64());
        Assert.Equal("v1 v1", await GetStringAsync(web, "/hello"));

        using JsonDocument status = await GetJsonAsync(web, "/hotswap.json");
        JsonElement last = status.RootElement.GetProperty("lastReload");
        Assert.True(last.GetProperty("rolledBack").GetBoolean());
        JsonElement plugin = Assert.Single(last.GetProperty("plugins").EnumerateArray());
        Assert.Equal(("RolledBack", v1.Version, v2.Version), (plugin.GetProperty("outcome").GetString(), plugin.GetProperty("version").GetString(), plugin.GetProperty("previousVersion").GetString()));

        using HttpResponseMessage nothingLeft = await web.Client.SendAsync(Operator(HttpMethod.Post, "/hotswap/rollback", action: true));
        using JsonDocument second = JsonDocument.Parse(await nothingLeft.Content.ReadAsStringAsync());
        Assert.False(second.RootElement.GetProperty("succeeded").GetBoolean());
        Assert.Equal("Rollback", second.RootElement.GetProperty("error").GetProperty("phase").GetString());
    }

    /// <summary>A web app with the test header authentication, a policy for role "ops", the plugin endpoints and the status page.</summary>
    internal static Task<PluginWebApp> StartAsync(PluginHost host, string pluginsRoot, WebServer server = WebServer.TestServer)
        => PluginWebApp.StartAsync(
            server,
            app =>
            {
                app.MapPluginEndpoints(host);
                app.MapHotswapStatus(host, "/hotswap", o =>
                {
                    o.AuthorizationPolicy = Policy;
                    o.PluginsRoot = pluginsRoot;
                });
            },
            services =>
            {
                services.AddAuthentication(HeaderAuthenticationHandler.SchemeName)
                    .AddScheme<AuthenticationSchemeOptions, HeaderAuthenticationHandler>(HeaderAuthenticationHandler.SchemeName, null);
                services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.RequireAuthenticatedUser().RequireRole("ops"));
            });

    private Task<PluginWebApp> StartAsync(PluginHost host) => StartAsync(host, _root.PluginsRoot);

    private static HttpRequestMessage Operator(HttpMethod method, string path, bool action = false)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Test-User", "operator");
        request.Headers.Add("X-Test-Role", "ops");
        if (action)
        {
            request.Headers.Add("X-Hotswap-Action", path.EndsWith("/rollback", StringComparison.Ordinal) ? "rollback" : "reload");
        }

        return request;
    }

    private static async Task<string> GetStringAsync(PluginWebApp web, string path)
    {
        using HttpRequestMessage request = Operator(HttpMethod.Get, path);
        using HttpResponseMessage response = await web.Client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return body;
    }

    private static async Task<JsonDocument> GetJsonAsync(PluginWebApp web, string path) => JsonDocument.Parse(await GetStringAsync(web, path));
}
