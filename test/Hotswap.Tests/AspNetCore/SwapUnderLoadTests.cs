using System.Collections.Concurrent;
using System.Text.Json;
using Hotswap.Tests.Support;
using Microsoft.AspNetCore.Builder;

namespace Hotswap.Tests.AspNetCore;

/// <summary>Swaps under concurrent HTTP requests, in memory and on Kestrel: no request fails, each sees one version, every old version unloads.</summary>
public sealed class SwapUnderLoadTests : IDisposable
{
    private const int Clients = 4;
    private const int Swaps = 6;
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(60);
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData(WebServer.TestServer)]
    [InlineData(WebServer.Kestrel)]
    public async Task Reload_UnderConcurrentRequests_FailsNoRequestAndUnloadsEveryOldVersion(WebServer server)
    {
        var published = new List<string> { (await _root.PublishAsync(Fixtures.WebGreeterV1, "web")).Version };
        await using PluginHost host = _root.CreateHost();
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        await using PluginWebApp web = await PluginWebApp.StartAsync(server, app => app.MapPluginEndpoints(host));

        var failures = new ConcurrentQueue<string>();
        var seen = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();
        Task[] clients = [.. Enumerable.Range(0, Clients).Select(i => Task.Run(() => LoopAsync(web.Client, i, seen, failures, stop.Token)))];

        for (int swap = 1; swap <= Swaps; swap++)
        {
            string expected = swap % 2 == 1 ? "v2" : "v1";
            published.Add((await _root.PublishAsync(swap % 2 == 1 ? Fixtures.WebGreeterV2 : Fixtures.WebGreeterV1, "web")).Version);
            (await host.ReloadAsync()).EnsureSuccess();

            // The switch is visible at once, while the clients keep going.
            Assert.Equal($"{expected} {expected}", await web.GetStringAsync("/hello"));
            Assert.Equal(expected, ReadVersion(await web.GetStringAsync("/json")));
        }

        stop.Cancel();
        await Task.WhenAll(clients).WaitAsync(s_bound);

        Assert.Empty(failures);
        Assert.True(seen.GetValueOrDefault("v1") > 0 && seen.GetValueOrDefault("v2") > 0, string.Join(", ", seen));
        Assert.Equal(["v1", "v2"], seen.Keys.Order(StringComparer.Ordinal));

        // Every version but the serving one was proven collected, System.Text.Json's caches included.
        foreach (string retired in published.SkipLast(1))
        {
            await observer.WhenUnloaded("web", retired);
        }

        Assert.Empty(observer.Stuck);
        Assert.Equal(Swaps, _root.Events.Count(e => e == "web:OnFree"));
    }

    private static async Task LoopAsync(HttpClient client, int index, ConcurrentDictionary<string, int> seen, ConcurrentQueue<string> failures, CancellationToken stop)
    {
        string path = index % 2 == 0 ? "/hello" : "/json";
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using HttpResponseMessage response = await client.GetAsync(path, CancellationToken.None);
                string body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                if (!response.IsSuccessStatusCode)
                {
                    failures.Enqueue($"{path}: {(int)response.StatusCode} {body}");
                    continue;
                }

                string? version = path == "/json" ? ReadVersion(body) : OneVersion(body);
                if (version is null)
                {
                    failures.Enqueue($"{path}: more than one version in '{body}'");
                    continue;
                }

                seen.AddOrUpdate(version, 1, static (_, n) => n + 1);
            }
#pragma warning disable CA1031 // The test counts every transport error as a failed request.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failures.Enqueue($"{path}: {ex.GetType().Name}: {ex.Message}");
            }
        }
    }

    /// <summary>"/hello" answers its tag before and after an await: both must be the same version.</summary>
    private static string? OneVersion(string body)
        => body.Split(' ') is [var before, var after] && before == after ? before : null;

    private static string ReadVersion(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("version").GetString()!; // the fixture always writes it.
    }
}
