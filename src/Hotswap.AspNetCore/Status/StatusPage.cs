using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// The status page of one host: reads the host, the tracker and (with a plugins root) the manifests
/// and the host's status file into a <see cref="StatusView"/>, and writes it as JSON or HTML; runs
/// the reload the page's button asks for.
/// </summary>
internal sealed class StatusPage
{
    public const string ActionHeader = "X-Hotswap-Action";

    private readonly PluginHost _host;
    private readonly HotswapStatusTracker _tracker;
    private readonly string? _pluginsRoot;
    private readonly bool _enableReload;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<PluginVersionInfo, DateTimeOffset?> _builtAt = new();

    public StatusPage(PluginHost host, HotswapStatusTracker tracker, HotswapStatusOptions options, ILogger logger)
    {
        _host = host;
        _tracker = tracker;
        _pluginsRoot = options.PluginsRoot;
        _enableReload = options.EnableReload;
        _logger = logger;
    }

    public async Task<StatusView> ReadAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<PluginVersionInfo> serving = [];
        long generation = 0;
        if (_host.GenerationNumber > 0)
        {
            try
            {
                using GenerationLease lease = _host.Acquire();
                generation = lease.Generation.Number;
                serving = lease.Generation.Plugins;
            }
            catch (ObjectDisposedException)
            {
                // The host is gone: nothing serves.
            }
        }

        var plugins = new List<StatusView.Plugin>(serving.Count);
        foreach (PluginVersionInfo version in serving.OrderBy(static v => v.PluginName, StringComparer.Ordinal))
        {
            plugins.Add(new StatusView.Plugin(version.PluginName, version.Version, await BuiltAtAsync(version, cancellationToken).ConfigureAwait(false)));
        }

        foreach (PluginVersionInfo old in _builtAt.Keys.Where(v => !serving.Contains(v)))
        {
            _builtAt.TryRemove(old, out _);
        }

        (long? callsInFlight, DateTimeOffset? callsAt) = CallsInFlight();
        (IReadOnlyList<ReloadRecord> history, IReadOnlyList<PluginVersionInfo> retiring, IReadOnlyDictionary<PluginVersionInfo, string> causes) = _tracker.Snapshot();
        IReadOnlyList<PluginVersionInfo> stuck = _host.StuckVersions;
        return new StatusView(
            generation,
            plugins,
            callsInFlight,
            callsAt,
            [.. retiring.Where(v => !stuck.Contains(v))],
            [.. stuck.Select(v => new StatusView.Stuck(v.PluginName, v.Version, causes.TryGetValue(v, out string? cause) ? cause : null))],
            history);
    }

    public async Task WriteJsonAsync(HttpContext context)
    {
        StatusView view = await ReadAsync(context.RequestAborted).ConfigureAwait(false);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            WriteJson(json, view);
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    public async Task WriteHtmlAsync(HttpContext context)
    {
        StatusView view = await ReadAsync(context.RequestAborted).ConfigureAwait(false);
        string reloadUrl = context.Request.PathBase.Add(context.Request.Path).Value + "/reload";
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(RenderHtml(view, _enableReload ? reloadUrl : null), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Runs a reload. Refused without the action header, which a cross-site form cannot send (a fetch with it needs a CORS preflight).</summary>
    public Task ReloadAsync(HttpContext context) => RunActionAsync(context, "reload", static (host, ct) => host.ReloadAsync(cancellationToken: ct));

    /// <summary>Switches back to the generation kept on probation; refused without the action header, like <see cref="ReloadAsync"/>.</summary>
    public Task RollbackAsync(HttpContext context) => RunActionAsync(context, "rollback", static (host, ct) => host.RollbackAsync(ct));

    private async Task RunActionAsync(HttpContext context, string action, Func<PluginHost, CancellationToken, Task<ReloadResult>> run)
    {
        if (!string.Equals(context.Request.Headers[ActionHeader], action, StringComparison.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync($"Send the header {ActionHeader}: {action} to {action}.", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        ReloadResult result = await run(_host, context.RequestAborted).ConfigureAwait(false);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            WriteReload(json, ReloadRecord.From(result, DateTimeOffset.MinValue), withTime: false);
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task<DateTimeOffset?> BuiltAtAsync(PluginVersionInfo version, CancellationToken cancellationToken)
    {
        if (_pluginsRoot is null)
        {
            return null;
        }

        if (_builtAt.TryGetValue(version, out DateTimeOffset? known))
        {
            return known;
        }

        DateTimeOffset? builtAt = null;
        string folder = Path.Combine(_pluginsRoot, version.PluginName, version.Version);
        if (Directory.Exists(folder))
        {
            try
            {
                VerificationResult verified = await PluginPublisher.VerifyAsync(folder, cancellationToken).ConfigureAwait(false);
                builtAt = verified.Manifest?.BuiltAt;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
            {
                Log.ManifestReadFailed(_logger, version.PluginName, version.Version, ex);
            }
        }

        _builtAt[version] = builtAt;
        return builtAt;
    }

    /// <summary>The calls in flight this process's host last reported under the plugins root, when exactly one host of this process reports there.</summary>
    private (long? Calls, DateTimeOffset? At) CallsInFlight()
    {
        if (_pluginsRoot is null)
        {
            return (null, null);
        }

        try
        {
            HostStatus[] mine = [.. HostStatusReader.ReadLiveHosts(_pluginsRoot).Where(static h => h.ProcessId == Environment.ProcessId)];
            return mine is [HostStatus only] ? (only.CallsInFlight, only.UpdatedAt) : (null, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, null);
        }
    }

    private static void WriteJson(Utf8JsonWriter json, StatusView view)
    {
        json.WriteStartObject();
        json.WriteNumber("generation", view.Generation);
        json.WriteStartArray("plugins");
        foreach (StatusView.Plugin plugin in view.Plugins)
        {
            json.WriteStartObject();
            json.WriteString("name", plugin.Name);
            json.WriteString("version", plugin.Version);
            WriteTime(json, "builtAt", plugin.BuiltAt);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (view.CallsInFlight is { } calls)
        {
            json.WriteNumber("callsInFlight", calls);
        }
        else
        {
            json.WriteNull("callsInFlight");
        }

        WriteTime(json, "callsInFlightAt", view.CallsInFlightAt);
        json.WriteStartArray("retiring");
        foreach (PluginVersionInfo retiring in view.Retiring)
        {
            json.WriteStartObject();
            json.WriteString("name", retiring.PluginName);
            json.WriteString("version", retiring.Version);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("stuck");
        foreach (StatusView.Stuck stuck in view.StuckVersions)
        {
            json.WriteStartObject();
            json.WriteString("name", stuck.Name);
            json.WriteString("version", stuck.Version);
            json.WriteString("cause", stuck.Cause);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WritePropertyName("lastReload");
        if (view.LastReload is { } last)
        {
            WriteReload(json, last, withTime: true);
        }
        else
        {
            json.WriteNullValue();
        }

        json.WriteStartArray("history");
        foreach (ReloadRecord record in view.History)
        {
            WriteReload(json, record, withTime: true);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteReload(Utf8JsonWriter json, ReloadRecord record, bool withTime)
    {
        json.WriteStartObject();
        if (withTime)
        {
            json.WriteString("at", record.At);
        }

        json.WriteNumber("generation", record.Generation);
        json.WriteBoolean("published", record.Published);
        json.WriteBoolean("succeeded", record.Succeeded);
        json.WriteNumber("durationMs", Math.Round(record.DurationMs, 3));
        json.WriteBoolean("rolledBack", record.RollbackReason is not null);
        json.WriteString("rollbackReason", record.RollbackReason);
        json.WriteStartArray("plugins");
        foreach (ReloadRecord.Outcome outcome in record.Plugins)
        {
            json.WriteStartObject();
            json.WriteString("name", outcome.Name);
            json.WriteString("outcome", outcome.Result);
            json.WriteString("version", outcome.Version);
            json.WriteString("previousVersion", outcome.PreviousVersion);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WritePropertyName("error");
        if (record.Error is { } error)
        {
            json.WriteStartObject();
            json.WriteString("plugin", error.Plugin);
            json.WriteString("phase", error.Phase);
            json.WriteString("file", error.File);
            json.WriteString("message", error.Message);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNullValue();
        }

        json.WriteEndObject();
    }

    private static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset? value)
    {
        if (value is { } time)
        {
            json.WriteString(name, time);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static string RenderHtml(StatusView view, string? reloadUrl)
    {
        HtmlEncoder html = HtmlEncoder.Default;
        var page = new StringBuilder();
        page.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Hotswap status</title>")
            .Append("<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}.failed{color:#b00}</style></head><body>")
            .Append("<h1>Hotswap status</h1>")
            .Append(CultureInfo.InvariantCulture, $"<p>Generation <strong id=\"generation\">{view.Generation}</strong> serving.")
            .Append(view.CallsInFlight is { } calls ? string.Create(CultureInfo.InvariantCulture, $" Calls in flight: <span id=\"calls-in-flight\">{calls}</span>.") : "")
            .Append("</p>");

        page.Append("<h2>Serving</h2><table id=\"plugins\"><tr><th>plugin</th><th>version</th><th>built</th></tr>");
        foreach (StatusView.Plugin plugin in view.Plugins)
        {
            page.Append("<tr><td class=\"plugin\">").Append(html.Encode(plugin.Name))
                .Append("</td><td class=\"version\">").Append(html.Encode(plugin.Version))
                .Append("</td><td>").Append(plugin.BuiltAt is { } built ? built.ToString("u", CultureInfo.InvariantCulture) : "").Append("</td></tr>");
        }

        page.Append("</table>");
        page.Append("<h2>Retiring</h2><ul id=\"retiring\">");
        foreach (PluginVersionInfo retiring in view.Retiring)
        {
            page.Append("<li>").Append(html.Encode(retiring.ToString())).Append("</li>");
        }

        page.Append("</ul><h2>Stuck</h2><ul id=\"stuck\">");
        foreach (StatusView.Stuck stuck in view.StuckVersions)
        {
            page.Append("<li>").Append(html.Encode($"{stuck.Name}@{stuck.Version}")).Append(": ").Append(html.Encode(stuck.Cause ?? "cause unknown")).Append("</li>");
        }

        page.Append("</ul><h2>Last reload</h2>");
        if (view.LastReload is { } last)
        {
            page.Append("<p id=\"last-reload\" class=\"").Append(last.Succeeded ? "succeeded" : "failed").Append("\">")
                .Append(html.Encode(Describe(last))).Append("</p>");
            if (last.Error is { } error)
            {
                page.Append("<pre id=\"last-error\">").Append(html.Encode(error.Message)).Append("</pre>");
            }
        }
        else
        {
            page.Append("<p id=\"last-reload\">none seen since the page was mapped</p>");
        }

        page.Append("<h2>History</h2><table id=\"history\"><tr><th>at</th><th>generation</th><th>result</th></tr>");
        foreach (ReloadRecord record in view.History)
        {
            page.Append("<tr><td>").Append(record.At.ToString("u", CultureInfo.InvariantCulture))
                .Append(CultureInfo.InvariantCulture, $"</td><td>{record.Generation}</td><td>")
                .Append(html.Encode(Describe(record))).Append("</td></tr>");
        }

        page.Append("</table>");
        if (reloadUrl is not null)
        {
            // A fetch POST with a custom header: a cross-site page cannot send it without a CORS preflight.
            page.Append("<p><button id=\"reload\" type=\"button\">Reload now</button> <button id=\"rollback\" type=\"button\">Roll back</button> <span id=\"reload-result\"></span></p>")
                .Append("<script>for(const a of ['reload','rollback']){document.getElementById(a).addEventListener('click',async()=>{const r=await fetch('")
                .Append(JavaScriptEncoder.Default.Encode(reloadUrl))
                .Append("'.replace(/reload$/,a),{method:'POST',headers:{'")
                .Append(ActionHeader)
                .Append("':a}});const out=document.getElementById('reload-result');if(r.ok&&a==='rollback'){const j=await r.json();if(!j.succeeded){out.textContent=j.error.message;return;}}out.textContent=r.ok?'done':'refused ('+r.status+')';if(r.ok)location.reload();});}</script>");
        }

        page.Append("</body></html>");
        return page.ToString();
    }

    private static string Describe(ReloadRecord record)
    {
        if (!record.Succeeded)
        {
            return string.Create(CultureInfo.InvariantCulture, $"failed in {record.Error?.Phase} of {record.Error?.Plugin}; generation {record.Generation} still serving");
        }

        string plugins = string.Join(", ", record.Plugins.Select(static p => p.Version is null ? $"{p.Name}: {p.Result}" : $"{p.Name}: {p.Result} ({p.Version})"));
        if (record.RollbackReason is { } reason)
        {
            return string.Create(CultureInfo.InvariantCulture, $"rolled back to generation {record.Generation} in {record.DurationMs:0.000} ms ({reason}): {plugins}");
        }

        return record.Published
            ? string.Create(CultureInfo.InvariantCulture, $"generation {record.Generation} published in {record.DurationMs:0.0} ms: {plugins}")
            : string.Create(CultureInfo.InvariantCulture, $"nothing to reload: {plugins}");
    }
}
