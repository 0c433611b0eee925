using System.Diagnostics;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Samples;

/// <summary>Runs every sample's --demo as a real process and asserts its exit code and evidence lines.</summary>
[Collection(ProcessBuilds.Name)]
public sealed class SampleDemoTests
{
    [Theory]
    [InlineData("Hello", 7)]
    [InlineData("Extension", 6)]
    [InlineData("Livex", 6)]
    [InlineData("Slink", 7)]
    [InlineData("Trine", 9)]
    public async Task Demo_RunsToTheEnd_EveryCheckHoldsAndTheEvidenceIsPrinted(string sample, int checks)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Fixtures.PathOf("sample-" + sample));
        start.ArgumentList.Add("--demo");
        using Process demo = Process.Start(start)!;
        Task<string> stdout = demo.StandardOutput.ReadToEndAsync();
        Task<string> stderr = demo.StandardError.ReadToEndAsync();
        await demo.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        string output = await stdout;

        Assert.True(demo.ExitCode == 0, $"exit {demo.ExitCode}\n{output}\n{await stderr}");
        Assert.Contains($"All {checks} checks held.", output);
        Assert.DoesNotContain("[FAILED]", output);
        Assert.Matches(@"calls served by v1:\s+[1-9][\d,]*", output);
        Assert.Matches(@"calls served by v2:\s+[1-9][\d,]*", output);
        Assert.Matches(@"failed calls:\s+0\n", output.ReplaceLineEndings("\n"));
        Assert.Matches(@"swap duration:\s+[\d.]+ ms", output);
        Assert.Matches(@"context collected:\s+yes", output);
    }

    [Fact]
    public async Task FleetDemo_RollsOutInWaves_StopsABadVersionAtTheCanary_AbortsAndFailsNoCall()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Fixtures.PathOf("sample-Fleet"));
        start.ArgumentList.Add("--demo");
        using Process demo = Process.Start(start)!;
        Task<string> stdout = demo.StandardOutput.ReadToEndAsync();
        Task<string> stderr = demo.StandardError.ReadToEndAsync();
        await demo.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        string output = await stdout;

        Assert.True(demo.ExitCode == 0, $"exit {demo.ExitCode}\n{output}\n{await stderr}");
        Assert.Contains("All 4 checks held.", output);
        Assert.DoesNotContain("[FAILED]", output);
        Assert.Matches(@"failed calls:\s+0\n", output.ReplaceLineEndings("\n"));
        Assert.Matches(@"calls, all hosts:\s+[1-9][\d,]*", output);
        Assert.Contains("phase OnLoad", output, StringComparison.Ordinal);
        Assert.Contains("v3 cannot reach its database", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebDemo_SwapsUnderHttpLoad_NoFailedRequestAndEveryOldVersionCollected()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Fixtures.PathOf("sample-Web"));
        start.ArgumentList.Add("--demo");
        using Process demo = Process.Start(start)!;
        Task<string> stdout = demo.StandardOutput.ReadToEndAsync();
        Task<string> stderr = demo.StandardError.ReadToEndAsync();
        await demo.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        string output = (await stdout).ReplaceLineEndings("\n");

        Assert.True(demo.ExitCode == 0, $"exit {demo.ExitCode}\n{output}\n{await stderr}");
        Assert.Contains("All 6 checks held.", output);
        Assert.DoesNotContain("[FAILED]", output);
        Assert.Matches(@"served by v1 / v2:\s+[1-9][\d,]* / [1-9][\d,]*", output);
        Assert.Matches(@"non-2xx responses:\s+0\n", output);
        Assert.Matches(@"transport errors:\s+0\n", output);
        Assert.Matches(@"latency while swapping p50 / p99:\s+[\d.]+ / [\d.]+ ms", output);
        Assert.Matches(@"old versions collected:\s+(\d+) of \1", output);
    }
}
