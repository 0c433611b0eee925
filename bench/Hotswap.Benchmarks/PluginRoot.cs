namespace Hotswap.Benchmarks;

/// <summary>
/// A fresh plugins root in the temp folder, filled by publishing the benchmark plugin's build
/// output with <see cref="PluginPublisher"/>, and the hosts created on it. Deleted on dispose.
/// </summary>
internal sealed class PluginRoot : IDisposable
{
    // Versions are named after their publish time; a fixed clock gives each folder its own name
    // even though every folder holds the same build output.
    private static readonly DateTimeOffset s_epoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Roots not disposed yet: a setup that throws never gets its cleanup, so these go at exit.
    private static readonly HashSet<PluginRoot> s_live = [];

    private int _published;

    static PluginRoot() => AppDomain.CurrentDomain.ProcessExit += static (_, _) =>
    {
        PluginRoot[] left;
        lock (s_live)
        {
            left = [.. s_live];
        }

        foreach (PluginRoot root in left)
        {
            root.Dispose();
        }
    };

    private PluginRoot(string path, string? signingKey)
    {
        Path = path;
        SigningKey = signingKey;
    }

    /// <summary>Gets the private key every version is signed with (sequence 1, so flipping between versions is no downgrade), or <see langword="null"/> for unsigned versions.</summary>
    public string? SigningKey { get; }

    /// <summary>Gets the plugins root's full path.</summary>
    public string Path { get; }

    /// <summary>Creates an empty plugins root.</summary>
    /// <param name="signed">Whether versions are signed and hosts trust the key.</param>
    /// <returns>The root.</returns>
    public static PluginRoot Create(bool signed = false)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hotswap-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        var root = new PluginRoot(path, signed ? PluginPublisher.CreateSigningKey() : null);
        lock (s_live)
        {
            s_live.Add(root);
        }

        return root;
    }

    /// <summary>Publishes the benchmark plugin as a new version folder of <paramref name="pluginName"/>.</summary>
    /// <param name="pluginName">The plugin's name.</param>
    /// <param name="activate">Whether the new version becomes <c>current</c>.</param>
    /// <returns>The version id.</returns>
    public string Publish(string pluginName, bool activate = true)
    {
        string output = BenchmarkPaths.PluginOutput;
        if (!File.Exists(System.IO.Path.Combine(output, "Hotswap.Benchmarks.Plugin.dll")))
        {
            throw new InvalidOperationException($"The benchmark plugin was not built: '{output}' has no Hotswap.Benchmarks.Plugin.dll.");
        }

        var options = new PublishOptions
        {
            Activate = activate,
            TimeProvider = new FixedTime(s_epoch.AddSeconds(Interlocked.Increment(ref _published))),
            SigningKey = SigningKey,
            Sequence = SigningKey is null ? null : 1,
        };
        return PluginPublisher.PublishAsync(output, Path, pluginName, options).GetAwaiter().GetResult().Version;
    }

    /// <summary>Makes <paramref name="version"/> of <paramref name="pluginName"/> current.</summary>
    /// <param name="pluginName">The plugin's name.</param>
    /// <param name="version">A version id returned by <see cref="Publish"/>.</param>
    public void Activate(string pluginName, string version) => PluginPublisher.Activate(Path, pluginName, version);

    /// <summary>Creates a host on this root: no watcher, no status files. Nothing is loaded yet.</summary>
    /// <returns>The host.</returns>
    public PluginHost CreateHost()
    {
        var options = new PluginHostOptions { PluginsRoot = Path, Watch = false, WriteStatus = false };
        if (SigningKey is not null)
        {
            options.TrustedKeys.Add(PluginPublisher.GetPublicKey(SigningKey));
        }

        return PluginHost.Create(options);
    }

    /// <summary>Creates a host on this root and loads it.</summary>
    /// <returns>The loaded host.</returns>
    public PluginHost LoadHost()
    {
        PluginHost host = CreateHost();
        host.LoadAsync().GetAwaiter().GetResult().EnsureSuccess();
        return host;
    }

    /// <summary>Deletes the root (best effort: a version still unloading may hold a file on some systems).</summary>
    public void Dispose()
    {
        lock (s_live)
        {
            if (!s_live.Remove(this))
            {
                return;
            }
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"// could not delete the plugins root {Path}: {ex.Message}");
        }
    }

    /// <summary>Stops a host and waits until its versions are freed.</summary>
    /// <param name="host">The host, or <see langword="null"/>.</param>
    public static void Stop(PluginHost? host) => host?.DisposeAsync().AsTask().GetAwaiter().GetResult();

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
