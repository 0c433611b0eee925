using Hotswap.Tests.Support;
using Microsoft.Playwright;

namespace Hotswap.Tests.AspNetCore;

/// <summary>The status page in headless Chromium (Debian's <c>chromium</c>, which <c>.ci/run</c> installs), served by Kestrel on loopback.</summary>
public sealed class StatusPageBrowserTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly float s_bound = 30_000;
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task StatusPage_InChromium_ShowsTheServingVersionAfterASwapTheErrorAfterAFailedReloadAndRollsBack()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does.");
        PublishResult v1 = await _root.PublishAsync(Fixtures.WebGreeterV1, "web");
        await using PluginHost host = _root.CreateHost(o => o.Probation = TimeSpan.FromHours(1));
        (await host.LoadAsync()).EnsureSuccess();
        await using PluginWebApp web = await StatusPageTests.StartAsync(host, _root.PluginsRoot, WebServer.Kestrel);
        PublishResult v2 = await _root.PublishAsync(Fixtures.WebGreeterV2, "web");
        (await host.ReloadAsync()).EnsureSuccess();

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });

        // Anonymous: refused (Chromium shows its own error page for an empty 401, so ask through the context's request API).
        await using (IBrowserContext anonymous = await browser.NewContextAsync())
        {
            IAPIResponse refused = await anonymous.APIRequest.GetAsync(new Uri(web.BaseAddress, "/hotswap").ToString());
            Assert.Equal(401, refused.Status);
        }

        await using IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ExtraHTTPHeaders = new Dictionary<string, string> { ["X-Test-User"] = "operator", ["X-Test-Role"] = "ops" },
        });
        IPage status = await context.NewPageAsync();
        status.SetDefaultTimeout(s_bound);
        IResponse? shown = await status.GotoAsync(new Uri(web.BaseAddress, "/hotswap").ToString());
        Assert.Equal(200, shown?.Status);
        Assert.Equal(v2.Version, await status.Locator("#plugins td.version").TextContentAsync());
        Assert.Equal("2", await status.Locator("#generation").TextContentAsync());

        // A failed reload, asked for by the page's own button (a fetch POST with the action header).
        _root.Probe.Set("web.throwIn", "OnLoad");
        await _root.PublishAsync(Fixtures.WebGreeterV1, "web");
        await status.Locator("#reload").ClickAsync();
        await status.Locator("#last-error").WaitForAsync();

        Assert.Contains("v1 throws in OnLoad on purpose", await status.Locator("#last-error").TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal(v2.Version, await status.Locator("#plugins td.version").TextContentAsync());
        Assert.Equal("failed", await status.Locator("#last-reload").GetAttributeAsync("class"));
        Assert.Equal(2, host.GenerationNumber);

        // The failed reload did not end the probation: the page's rollback button switches back to v1.
        await status.Locator("#rollback").ClickAsync();
        await status.Locator("#last-reload.succeeded").WaitForAsync();

        Assert.Equal(v1.Version, await status.Locator("#plugins td.version").TextContentAsync());
        Assert.StartsWith("rolled back to generation 1", await status.Locator("#last-reload").TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal(1, host.GenerationNumber);
    }
}
