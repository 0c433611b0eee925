using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hotswap.Tests.Fleet.Support;

/// <summary>
/// A static file server on a real loopback port (Kestrel on 127.0.0.1:0) for the artifact tests:
/// serves the files of one folder by their relative path, counts the requests per path, and can be
/// told, per path, to answer with a status code, to cut the response short, or to hold it on a gate
/// (before it starts, or after part of the body was sent).
/// </summary>
/// <remarks>The test that starts one disposes it, which releases every held response and stops the server.</remarks>
public sealed class ArtifactServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _root;
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _cuts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HeldResponse> _holds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (HeldResponse Held, long Bytes)> _partialHolds = new(StringComparer.Ordinal);

    private ArtifactServer(WebApplication app, string root)
    {
        _app = app;
        _root = root;
        app.Run(ServeAsync);
    }

    /// <summary>Gets the server's address, ending with '/'.</summary>
    public Uri BaseAddress { get; private set; } = null!; // set by StartAsync before the server is handed out.

    /// <summary>Gets how many requests the server received, all paths together.</summary>
    public int TotalRequests => _requests.Values.Sum();

    /// <summary>Starts a server for the files under <paramref name="root"/>.</summary>
    public static async Task<ArtifactServer> StartAsync(string root)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var server = new ArtifactServer(builder.Build(), Path.GetFullPath(root));
        await server._app.StartAsync();
        string address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First(); // Kestrel always has the feature.
        server.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>The URL of a file under the root.</summary>
    public Uri UrlOf(string relativePath) => new(BaseAddress, relativePath);

    /// <summary>How many requests the server received for <paramref name="relativePath"/>.</summary>
    public int RequestsFor(string relativePath) => _requests.GetValueOrDefault("/" + relativePath);

    /// <summary>From now on, answer <paramref name="relativePath"/> with <paramref name="statusCode"/> and no body.</summary>
    public void Fail(string relativePath, int statusCode) => _failures["/" + relativePath] = statusCode;

    /// <summary>From now on, announce the whole file for <paramref name="relativePath"/> but send only its first <paramref name="bytes"/> bytes, then drop the connection.</summary>
    public void CutShort(string relativePath, long bytes) => _cuts["/" + relativePath] = bytes;

    /// <summary>From now on, hold the responses to <paramref name="relativePath"/> until the returned gate is released (or the client goes away).</summary>
    public HeldResponse Hold(string relativePath)
    {
        var held = new HeldResponse();
        _holds["/" + relativePath] = held;
        return held;
    }

    /// <summary>
    /// From now on, send the headers (the whole length announced) and the first <paramref name="bytes"/>
    /// bytes of <paramref name="relativePath"/>, then hold the rest until the returned gate is released
    /// (or the client goes away); <see cref="HeldResponse.Arrived"/> completes once that part was sent.
    /// </summary>
    public HeldResponse HoldAfter(string relativePath, long bytes)
    {
        var held = new HeldResponse();
        _partialHolds["/" + relativePath] = (held, bytes);
        return held;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (HeldResponse held in _holds.Values.Concat(_partialHolds.Values.Select(static p => p.Held)))
        {
            held.Release();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ServeAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "/";
        _requests.AddOrUpdate(path, 1, static (_, n) => n + 1);
        if (_holds.TryGetValue(path, out HeldResponse? held))
        {
            held.Arrive();
            try
            {
                await held.Released.WaitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return; // the client gave up: nothing to answer.
            }
        }

        if (_failures.TryGetValue(path, out int status))
        {
            context.Response.StatusCode = status;
            return;
        }

        string file = Path.GetFullPath(Path.Combine(_root, path.TrimStart('/')));
        if (!file.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(file))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        byte[] bytes = await File.ReadAllBytesAsync(file, context.RequestAborted);
        context.Response.ContentType = "application/zip";
        context.Response.ContentLength = bytes.Length;
        if (_partialHolds.TryGetValue(path, out (HeldResponse Held, long Bytes) partial))
        {
            int sent = (int)Math.Min(partial.Bytes, bytes.Length);
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, sent), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            partial.Held.Arrive();
            try
            {
                await partial.Held.Released.WaitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return; // the client gave up in the middle of the download.
            }

            await context.Response.Body.WriteAsync(bytes.AsMemory(sent), context.RequestAborted);
            return;
        }

        if (_cuts.TryGetValue(path, out long cut))
        {
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, (int)Math.Min(cut, bytes.Length)), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            return; // fewer bytes than announced: Kestrel ends the connection once what was written is sent.
        }

        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    /// <summary>A response held until <see cref="Release"/>; <see cref="Arrived"/> completes when its request reached the server.</summary>
    public sealed class HeldResponse
    {
        private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly SemaphoreSlim _arrivals = new(0);

        /// <summary>Gets a task that completes when a request for the path reached the server.</summary>
        public Task Arrived => _arrived.Task;

        internal Task Released => _released.Task;

        /// <summary>Completes once <paramref name="count"/> requests for the path reached the server (counting from the first).</summary>
        public async Task WaitForArrivalsAsync(int count)
        {
            for (int i = 0; i < count; i++)
            {
                await _arrivals.WaitAsync();
            }

            _arrivals.Release(count); // leave the count as it was, for the next wait.
        }

        /// <summary>Lets the held responses go on.</summary>
        public void Release() => _released.TrySetResult();

        internal void Arrive()
        {
            _arrivals.Release();
            _arrived.TrySetResult();
        }
    }
}
