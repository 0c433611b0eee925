using System.Text.Json.Nodes;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Cli;

/// <summary>
/// <c>hotswap diagnose</c> run as a real process against a real host process (test/DiagnoseHost) whose
/// old version of the Pinner fixture is pinned in one way from outside the plugin and was reported
/// stuck; the chain it prints must start at the right kind of root and end at the plugin's object.
/// </summary>
[Collection(ProcessBuilds.Name)]
public sealed class DiagnoseCommandTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Diagnose_StaticHostEventSubscription_NamesTheEventFieldAndThePluginHandler()
    {
        (JsonNode stuck, DiagnoseHostProcess host) = await DiagnoseOneAsync("event");
        await using (host)
        {
            Assert.Equal("static-field", (string?)stuck["rootKind"]);
            Assert.Equal("static field TestContracts.HostEvents.Tick", (string?)stuck["root"]);
            AssertPluginEnd(stuck, host, "Pinner.PinnerPlugin", "Pinner.dll");
            Assert.Equal("System.EventHandler", (string?)stuck["hostEnd"]!["type"]);
            Assert.Equal("calls Pinner.PinnerPlugin.OnTick", (string?)stuck["hostEnd"]!["detail"]);
            Assert.Equal("_target", (string?)stuck["pluginEnd"]!["via"]);

            // --plugin: only that plugin's versions; the clean plugin has none stuck.
            CliResult clean = await CliRunner.RunAsync("diagnose", host.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--plugin", "clean", "--json");
            Assert.True(clean.ExitCode == 0, clean.ToString());
            Assert.Empty(clean.Json["stuck"]!.AsArray());
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Diagnose_UndisposedTimer_NamesTheRuntimeTimerQueueAndThePluginCallback()
    {
        (JsonNode stuck, DiagnoseHostProcess host) = await DiagnoseOneAsync("timer");
        await using (host)
        {
            Assert.Equal("static-field", (string?)stuck["rootKind"]);
            Assert.Equal("static field System.Threading.TimerQueue.Instances", (string?)stuck["root"]);
            AssertPluginEnd(stuck, host, "Pinner.PinnerPlugin", "Pinner.dll");
            Assert.Equal("System.Threading.TimerCallback", (string?)stuck["hostEnd"]!["type"]);
            Assert.Equal("calls Pinner.PinnerPlugin.OnTimer", (string?)stuck["hostEnd"]!["detail"]);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Diagnose_HostCacheKeyedByPluginType_NamesTheHostStaticAndThePluginType()
    {
        (JsonNode stuck, DiagnoseHostProcess host) = await DiagnoseOneAsync("cache");
        await using (host)
        {
            Assert.Equal("static-field", (string?)stuck["rootKind"]);
            Assert.Equal("static field DiagnoseHost.HostCache.Items", (string?)stuck["root"]);
            Assert.StartsWith("System.Collections.Generic.Dictionary<System.Type, System.String>", (string?)stuck["chain"]![0]!["type"], StringComparison.Ordinal);
            AssertPluginEnd(stuck, host, "System.RuntimeType", "System.Private.CoreLib.dll");
            Assert.Equal("typeof(Pinner.PinnerPlugin)", (string?)stuck["pluginEnd"]!["detail"]);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Diagnose_ThreadRunningPluginCode_NamesTheThreadAndThePluginMethod()
    {
        (JsonNode stuck, DiagnoseHostProcess host) = await DiagnoseOneAsync("thread");
        await using (host)
        {
            Assert.Equal("thread-stack", (string?)stuck["rootKind"]);
            Assert.Matches(@"^thread \d+ \(OS thread \d+\) in Pinner\.PinnerPlugin\.Spin$", (string?)stuck["root"]);
            AssertPluginEnd(stuck, host, "Pinner.PinnerPlugin", "Pinner.dll");
            Assert.Equal("Spin", (string?)stuck["pluginEnd"]!["detail"]);
            Assert.Null(stuck["hostEnd"]);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Diagnose_StrongGCHandle_NamesTheHandleAndThePluginObject()
    {
        (JsonNode stuck, DiagnoseHostProcess host) = await DiagnoseOneAsync("gchandle");
        await using (host)
        {
            Assert.Equal("strong-handle", (string?)stuck["rootKind"]);
            Assert.Single(stuck["chain"]!.AsArray());
            AssertPluginEnd(stuck, host, "Pinner.PinnerPlugin", "Pinner.dll");
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Diagnose_HostKeepsPluginException_NamesTheHostStaticAndTheExceptionType()
    {
        (JsonNode stuck, DiagnoseHostProcess host) = await DiagnoseOneAsync("exception");
        await using (host)
        {
            Assert.Equal("static-field", (string?)stuck["rootKind"]);
            Assert.Equal("static field DiagnoseHost.HostCache.LastError", (string?)stuck["root"]);
            AssertPluginEnd(stuck, host, "Pinner.PinnerException", "Pinner.dll");
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Diagnose_TypeDescriptorAttributes_NamesTheTypeDescriptorTableAndThePluginType()
    {
        (JsonNode stuck, DiagnoseHostProcess host) = await DiagnoseOneAsync("typedescriptor");
        await using (host)
        {
            Assert.Equal("static-field", (string?)stuck["rootKind"]);
            Assert.StartsWith("static field System.ComponentModel.TypeDescriptor.", (string?)stuck["root"], StringComparison.Ordinal);
            AssertPluginEnd(stuck, host, "System.RuntimeType", "System.Private.CoreLib.dll");
            Assert.Equal("typeof(Pinner.PinnerPlugin)", (string?)stuck["pluginEnd"]!["detail"]);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Diagnose_VersionsThatUnloadNormally_AreNeverListed()
    {
        await using DiagnoseHostProcess host = await DiagnoseHostProcess.StartAsync(HostRoot(), "none");

        CliResult result = await CliRunner.RunAsync("diagnose", Pid(host), "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True((bool)result.Json["succeeded"]!);
        Assert.Empty(result.Json["stuck"]!.AsArray());
        string[] loaded = [.. result.Json["loaded"]!.AsArray().Select(static v => (string)v!)];
        Assert.Equal(2, loaded.Length);
        Assert.DoesNotContain($"pinned@{host.PinnedOld}", loaded);
        Assert.DoesNotContain($"clean@{host.CleanOld}", loaded);
        await host.StopAsync();
    }

    [Fact]
    public async Task Diagnose_Text_PrintsTheChainAndTheCulprit()
    {
        await using DiagnoseHostProcess host = await DiagnoseHostProcess.StartAsync(HostRoot(), "event");

        CliResult result = await CliRunner.RunAsync("diagnose", Pid(host));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"pinned@{host.PinnedOld} was unloaded and is still alive, held by:", result.Stdout);
        Assert.Contains("  static field TestContracts.HostEvents.Tick", result.Stdout);
        Assert.Contains($"-> Pinner.PinnerPlugin (via _target) (Pinner.dll, pinned@{host.PinnedOld})", result.Stdout);
        Assert.Contains("Culprit: System.EventHandler._target", result.Stdout);
        Assert.DoesNotContain("clean@", result.Stdout);
        await host.StopAsync();
    }

    [Fact]
    public async Task SelfDiagnosis_TheHostNamesTheChainInItsStuckReport_AndHotswapStatusShowsIt()
    {
        await using DiagnoseHostProcess host = await DiagnoseHostProcess.StartAsync(HostRoot(), "event", selfDiagnose: true);

        // The report waited for the host's own heap dump: the cause ends with the chain, the root's kind and the culprit.
        string cause = host.Cause!;
        Assert.Contains($"The load context of pinned@{host.PinnedOld} is still alive", cause);
        // Both versions' handlers are on the event (the new one subscribed too): the chain goes through its invocation list to the old one's.
        Assert.Contains(" What holds it: static field TestContracts.HostEvents.Tick -> System.EventHandler ", cause);
        Assert.Contains($" [calls Pinner.PinnerPlugin.OnTick] -> Pinner.PinnerPlugin (via _target) (Pinner.dll, pinned@{host.PinnedOld}) (root: static-field). ", cause);
        Assert.Contains("Culprit: System.EventHandler._target, reached from static field TestContracts.HostEvents.Tick, holds Pinner.PinnerPlugin.", cause);
        Assert.Contains($"(heap dump of process {host.ProcessId}; the host was paused ", cause);
        Assert.DoesNotContain("hotswap diagnose", cause); // the hint to find the chain gives way to the chain

        CliResult json = await CliRunner.RunAsync("status", HostRoot(), "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        JsonNode stuck = Assert.Single(Assert.Single(json.Json["hosts"]!.AsArray())!["stuck"]!.AsArray())!;
        Assert.Equal($"pinned@{host.PinnedOld}", $"{stuck["name"]}@{stuck["version"]}");
        Assert.Equal(cause, (string?)stuck["cause"]);

        CliResult text = await CliRunner.RunAsync("status", HostRoot());
        Assert.Contains($"    STUCK     pinned@{host.PinnedOld}\n              The load context of pinned@{host.PinnedOld}", text.Stdout.ReplaceLineEndings("\n"));
        Assert.Contains("What holds it: static field TestContracts.HostEvents.Tick -> ", text.Stdout);
        await host.StopAsync();
    }

    [Fact]
    public async Task SelfDiagnosis_ASecondVersionStuckSoonAfterTheFirst_IsReportedWithoutASecondPause()
    {
        await using DiagnoseHostProcess host = await DiagnoseHostProcess.StartAsync(HostRoot(), "event", selfDiagnose: true, twice: true);

        Assert.Contains(" What holds it: static field TestContracts.HostEvents.Tick -> ", host.Cause);
        string second = host.SecondCause!;
        Assert.Matches(@" What holds it: \(not named: this process was dumped \d+ s ago, and HeapDumpOptions\.MinimumInterval is 00:10:00; 'hotswap diagnose \d+' dumps it now\)$", second);
        Assert.Contains($"'hotswap diagnose {host.ProcessId}'", second);
        Assert.DoesNotContain("(heap dump of process", second);
        await host.StopAsync();
    }

    [Fact]
    public async Task Diagnose_NoSuchProcess_FailsWithOneLine()
    {
        CliResult result = await CliRunner.RunAsync("diagnose", "2147483647", "--json");

        Assert.Equal(1, result.ExitCode);
        Assert.False((bool)result.Json["succeeded"]!);
        Assert.Contains("Cannot take a dump of process 2147483647", (string?)result.Json["error"]);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task Diagnose_BadProcessIdOrPluginName_IsAUsageError()
    {
        CliResult zero = await CliRunner.RunAsync("diagnose", "0", "--json");
        CliResult word = await CliRunner.RunAsync("diagnose", "host", "--json");
        CliResult name = await CliRunner.RunAsync("diagnose", "1", "--plugin", "../x", "--json");

        foreach (CliResult result in new[] { zero, word, name })
        {
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.False((bool)result.Json["succeeded"]!);
            Assert.Equal(2, (int)result.Json["exitCode"]!);
        }

        Assert.Equal("'0' is not a process id.", (string?)zero.Json["error"]);
        Assert.Equal("--plugin '../x' is not a valid plugin name.", (string?)name.Json["error"]);
    }

    private static string Pid(DiagnoseHostProcess host) => host.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void AssertPluginEnd(JsonNode stuck, DiagnoseHostProcess host, string type, string assembly)
    {
        JsonNode pluginEnd = stuck["pluginEnd"]!;
        Assert.Equal(type, (string?)pluginEnd["type"]);
        Assert.Equal(assembly, (string?)pluginEnd["assembly"]);
        Assert.Equal($"pinned@{host.PinnedOld}", (string?)pluginEnd["version"]);
    }

    private string HostRoot() => Path.Combine(_root.Directory, "host-root");

    /// <summary>Starts a host pinned this way, runs diagnose on it, and returns its one stuck version (the only one listed).</summary>
    private async Task<(JsonNode Stuck, DiagnoseHostProcess Host)> DiagnoseOneAsync(string mode)
    {
        DiagnoseHostProcess host = await DiagnoseHostProcess.StartAsync(HostRoot(), mode);
        try
        {
            CliResult result = await CliRunner.RunAsync("diagnose", Pid(host), "--json");
            Assert.True(result.ExitCode == 0, result.ToString());
            JsonArray stuck = result.Json["stuck"]!.AsArray();
            JsonNode only = Assert.Single(stuck)!;
            Assert.Equal("pinned", (string?)only["plugin"]);
            Assert.Equal(host.PinnedOld, (string?)only["version"]);
            Assert.DoesNotContain(result.Json["loaded"]!.AsArray(), v => (string?)v == $"pinned@{host.PinnedOld}");
            return (only, host);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }
}
