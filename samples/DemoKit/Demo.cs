using System.Collections.Concurrent;
using System.Diagnostics;

namespace Hotswap.Samples;

/// <summary>
/// A scripted demo: builds and publishes real plugin projects, swaps while calls run, and prints the
/// evidence with a check per claim. <see cref="ExitCode"/> is 0 only if every check held.
/// </summary>
public sealed class Demo : IDisposable
{
    private readonly List<(string Claim, bool Held)> _checks = [];

    public Demo(string title, string intro)
    {
        Console.WriteLine(title);
        Console.WriteLine(intro);
        Console.WriteLine();
        Root = Directory.CreateTempSubdirectory("hotswap-demo-").FullName;
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    /// <summary>The plugins root of this run: a fresh temporary folder.</summary>
    public string Root { get; }

    public int ExitCode => _checks.TrueForAll(static c => c.Held) ? 0 : 1;

    /// <summary>The repository's samples folder, found from the running binaries.</summary>
    public static string SamplesDirectory
    {
        get
        {
            for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Hotswap.slnx")))
                {
                    return Path.Combine(directory.FullName, "samples");
                }
            }

            throw new InvalidOperationException("Run the samples from the repository: they build their plugin projects.");
        }
    }

    public static void Step(string text) => Console.WriteLine("  " + text);

    /// <summary>Builds a plugin project as version 1 or 2 (the build property DemoVersion) and publishes it under <paramref name="pluginName"/>.</summary>
    public async Task<PublishResult> BuildAndPublishAsync(string pluginProject, string pluginName, int version)
    {
        string output = Directory.CreateTempSubdirectory("hotswap-demo-build-").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            // The host's build already built what the plugin references (Hotswap.Abstractions, the contract), in
            // the same configuration: build only the plugin itself.
            foreach (string argument in (string[])["publish", pluginProject, "-c", Configuration, "--no-dependencies", "-o", output, "--nologo", "-v", "quiet", $"-p:DemoVersion={version}"])
            {
                start.ArgumentList.Add(argument);
            }

            using Process process = Process.Start(start) ?? throw new InvalidOperationException("Cannot start dotnet.");
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"Building {pluginProject} failed:\n{await stdout}{await stderr}");
            }

            PublishResult published = await PluginPublisher.PublishAsync(output, Root, pluginName);
            Step($"built {pluginName} v{version} and published it as {published.Version}");
            return published;
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>Calls <paramref name="call"/> from several threads until disposed, counting answers by their tag (the text before ':').</summary>
    public static CallLoop StartCalling(Func<string> call, int threads = 2) => new(call, threads);

    /// <summary>Waits for a retired version's load context to be proven collected.</summary>
    public static async Task<UnloadedEventArgs?> WhenUnloadedAsync(Task<UnloadedEventArgs> unloaded)
    {
        Task done = await Task.WhenAny(unloaded, Task.Delay(TimeSpan.FromSeconds(30)));
        return done == unloaded ? await unloaded : null;
    }

    /// <summary>Completes when the host proves the given version unloaded.</summary>
    public static Task<UnloadedEventArgs> UnloadedOf(PluginHost host, string pluginName, string version)
    {
        var completion = new TaskCompletionSource<UnloadedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Unloaded += (_, e) =>
        {
            if (e.Version == new PluginVersionInfo(pluginName, version))
            {
                completion.TrySetResult(e);
            }
        };
        return completion.Task;
    }

    public void Check(string claim, bool held) => _checks.Add((claim, held));

    /// <summary>Prints the evidence lines and the checks, and returns the exit code.</summary>
    public int Finish(IEnumerable<(string Label, string Value)> evidence)
    {
        Console.WriteLine();
        Console.WriteLine("Evidence");
        foreach ((string label, string value) in evidence)
        {
            Console.WriteLine($"  {label + ":",-34} {value}");
        }

        Console.WriteLine();
        foreach ((string claim, bool held) in _checks)
        {
            Console.WriteLine($"  [{(held ? "ok" : "FAILED")}] {claim}");
        }

        Console.WriteLine(ExitCode == 0 ? $"All {_checks.Count} checks held." : $"{_checks.Count(static c => !c.Held)} of {_checks.Count} checks FAILED.");
        return ExitCode;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Background callers that never stop during a swap; every answer is counted by its version tag.</summary>
public sealed class CallLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, long> _byTag = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly Task[] _threads;

    internal CallLoop(Func<string> call, int threads)
    {
        // Dedicated threads: callers that never yield must not starve the thread pool the reload runs on.
        _threads = [.. Enumerable.Range(0, threads).Select(_ => Task.Factory.StartNew(() =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    string answer = call();
                    _byTag.AddOrUpdate(answer.Split(':')[0], 1, static (_, n) => n + 1);
                }
                catch (Exception ex)
                {
                    _failures.Enqueue(ex.GetType().Name + ": " + ex.Message);
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))];
    }

    public long Served(string tag) => _byTag.TryGetValue(tag, out long count) ? count : 0;

    public long Failures => _failures.Count;

    public IReadOnlyCollection<string> Tags => [.. _byTag.Keys];

    public string? FirstFailure => _failures.TryPeek(out string? failure) ? failure : null;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_threads);
        _stop.Dispose();
    }
}
