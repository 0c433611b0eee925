using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace Hotswap.EditToLive;

/// <summary>
/// Edit-to-live: a small plugin project in a scratch folder, <c>hotswap watch</c> on it (the real CLI,
/// as a process), and a host in this process watching the plugins root. Each edit rewrites the plugin's
/// source with a new answer and measures from the write until the host serves that answer, taking it
/// from the <see cref="PluginHost.Reloaded"/> event. Progress goes to standard error, the report to
/// standard output.
/// </summary>
internal static partial class Program
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    public static async Task<int> Main(string[] args)
    {
        int edits = 10;
        bool fullBuild = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--edits" when i + 1 < args.Length && int.TryParse(args[i + 1], out int n) && n > 0:
                    edits = n;
                    i++;
                    break;
                case "--full-build":
                    fullBuild = true;
                    break;
                default:
                    Console.Error.WriteLine($"edit-to-live: unknown argument '{args[i]}'.\nUsage: edit-to-live [--edits N] [--full-build]");
                    return 2;
            }
        }

        string cli = typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Hotswap.EditToLive.Cli").Value!;
        DirectoryInfo scratch = Directory.CreateTempSubdirectory("hotswap-edit-to-live-");
        try
        {
            return await RunAsync(cli, scratch.FullName, edits, fullBuild).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            Console.Error.WriteLine($"edit-to-live: {ex.Message}");
            return 1;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static async Task<int> RunAsync(string cli, string scratch, int edits, bool fullBuild)
    {
        string project = Path.Combine(scratch, "src", "Edit", "Edit.csproj");
        string source = Path.Combine(scratch, "src", "Edit", "EditPlugin.cs");
        string root = Path.Combine(scratch, "plugins");
        Directory.CreateDirectory(Path.GetDirectoryName(project)!);
        Directory.CreateDirectory(root);
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <EnableDynamicLoading>true</EnableDynamicLoading>
              </PropertyGroup>
              <ItemGroup>
                <Reference Include="Hotswap.Abstractions" HintPath="{typeof(Plugin).Assembly.Location}" Private="false" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(project)!, "Helpers.cs"), """
            namespace Edit;
            internal static class Helpers
            {
                public static string Decorate(string answer) => $"<{answer}>";
            }
            """);
        WriteSource(source, 0);

        Console.Error.WriteLine($"edit-to-live: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])[cli, "watch", project, root, "--name", "edit"])
        {
            start.ArgumentList.Add(argument);
        }

        if (fullBuild)
        {
            start.ArgumentList.Add("--full-build");
        }

        using Process watch = Process.Start(start) ?? throw new InvalidOperationException("Cannot start 'dotnet'.");
        var lines = Channel.CreateUnbounded<string>();
        _ = PumpAsync(watch.StandardOutput, lines.Writer, echo: true);
        _ = PumpAsync(watch.StandardError, lines.Writer, echo: true);
        try
        {
            await PublishedAsync(lines.Reader).ConfigureAwait(false);
            await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = root, Watch = true });
            (await host.LoadAsync().ConfigureAwait(false)).EnsureSuccess();
            Expect(host, Answer(0));

            // One edit before measuring: the first one after start may still wait for watch to get ready.
            var totals = new List<double>();
            var builds = new List<double>();
            for (int edit = 1; edit <= edits + 1; edit++)
            {
                string expected = Answer(edit);
                var served = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                void OnReloaded(object? sender, ReloadedEventArgs e)
                {
                    if (host.Invoke("edit", "answer") as string == expected)
                    {
                        served.TrySetResult();
                    }
                }

                host.Reloaded += OnReloaded;
                long saved = Stopwatch.GetTimestamp();
                WriteSource(source, edit);
                await served.Task.WaitAsync(s_timeout).ConfigureAwait(false);
                double total = Stopwatch.GetElapsedTime(saved).TotalMilliseconds;
                host.Reloaded -= OnReloaded;
                double build = await PublishedAsync(lines.Reader).ConfigureAwait(false);
                Console.Error.WriteLine($"edit-to-live: edit {edit}{(edit == 1 ? " (not counted)" : "")}: {total:0} ms to serving, build and publish {build:0} ms");
                if (edit > 1)
                {
                    totals.Add(total);
                    builds.Add(build);
                }
            }

            totals.Sort();
            builds.Sort();
            Console.WriteLine($"edit-to-live ({(fullBuild ? "full builds" : "watch's default")}), {edits} edits: min {totals[0]:0} ms, median {Median(totals):0} ms, max {totals[^1]:0} ms; the CLI's build and publish: median {Median(builds):0} ms");
            return 0;
        }
        finally
        {
            if (!watch.HasExited)
            {
                watch.Kill(entireProcessTree: true);
            }
        }
    }

    private static string Answer(int edit) => $"answer {edit}";

    private static void WriteSource(string path, int edit) => File.WriteAllText(path, $$"""
        using Hotswap;
        [assembly: HotswapPlugin(typeof(Edit.EditPlugin))]
        namespace Edit;
        public sealed class EditPlugin : Plugin
        {
            public override object? Invoke(string name, params object?[] args) => name == "answer" ? "{{Answer(edit)}}" : Helpers.Decorate(name);
        }
        """);

    private static void Expect(PluginHost host, string expected)
    {
        if (host.Invoke("edit", "answer") as string != expected)
        {
            throw new InvalidOperationException($"The host does not serve '{expected}'.");
        }
    }

    private static double Median(List<double> sorted) => sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;

    /// <summary>Reads watch's output until it reports a publish; returns the build time it printed, in milliseconds.</summary>
    private static async Task<double> PublishedAsync(ChannelReader<string> lines)
    {
        using var timeout = new CancellationTokenSource(s_timeout);
        try
        {
            while (true)
            {
                string line = await lines.ReadAsync(timeout.Token).ConfigureAwait(false);
                if (PublishedLine().Match(line) is { Success: true } match)
                {
                    return double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) * 1000;
                }

                if (line.Contains("failed", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"watch reported a failure: {line}");
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"watch published nothing within {s_timeout.TotalSeconds:0} s.");
        }
    }

    private static async Task PumpAsync(StreamReader reader, ChannelWriter<string> lines, bool echo)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (echo)
            {
                Console.Error.WriteLine("  watch | " + line);
            }

            await lines.WriteAsync(line).ConfigureAwait(false);
        }
    }

    [GeneratedRegex(@"^(?:Published|Current) edit \S+ in ([0-9.]+) s")]
    private static partial Regex PublishedLine();
}
