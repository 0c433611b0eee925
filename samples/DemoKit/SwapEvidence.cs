namespace Hotswap.Samples;

/// <summary>What happened while a demo swapped versions under continuous calls.</summary>
public sealed record SwapEvidence(ReloadResult Swap, long ServedByV1, long ServedByV2, long Failures, string? FirstFailure, IReadOnlyList<(PluginVersionInfo Version, UnloadedEventArgs? Unloaded)> Retired);

public static class DemoSwap
{
    /// <summary>
    /// Keeps two threads calling <paramref name="call"/> (each answer starts with its version tag,
    /// "v1:" or "v2:"), publishes version 2, swaps, waits for v2 to serve, stops the calls, then waits
    /// for every retired version's load context to be proven collected.
    /// </summary>
    public static async Task<SwapEvidence> SwapWhileCallingAsync(PluginHost host, Func<string> call, Func<Task> publishVersion2, IReadOnlyList<PluginVersionInfo> retiring, object? data = null)
    {
        Task<UnloadedEventArgs>[] unloads = [.. retiring.Select(v => Demo.UnloadedOf(host, v.PluginName, v.Version))];
        ReloadResult swap;
        long v1, v2, failures;
        string? firstFailure;
        await using (CallLoop calls = Demo.StartCalling(call))
        {
            Demo.Step("two threads now call the plugin without pause");
            await publishVersion2();
            swap = await host.ReloadAsync(data);
            Demo.Step($"swapped: {swap}");
            while (swap.Succeeded && calls.Served("v2") < 1000 && calls.Failures == 0)
            {
                await Task.Yield();
            }

            v1 = calls.Served("v1");
            v2 = calls.Served("v2");
            failures = calls.Failures;
            firstFailure = calls.FirstFailure;
        }

        var retired = new List<(PluginVersionInfo, UnloadedEventArgs?)>();
        for (int i = 0; i < retiring.Count; i++)
        {
            retired.Add((retiring[i], await Demo.WhenUnloadedAsync(unloads[i])));
        }

        return new SwapEvidence(swap, v1, v2, failures, firstFailure, retired);
    }

    /// <summary>Adds the checks every swap demo makes.</summary>
    public static void CheckSwap(this Demo demo, SwapEvidence evidence)
    {
        demo.Check("the swap published a new generation", evidence.Swap.Published);
        demo.Check("calls were served by v1 before the swap", evidence.ServedByV1 > 0);
        demo.Check("calls were served by v2 after the swap", evidence.ServedByV2 > 0);
        demo.Check("no call failed", evidence.Failures == 0);
        foreach ((PluginVersionInfo version, UnloadedEventArgs? unloaded) in evidence.Retired)
        {
            demo.Check($"{version.PluginName}'s old version was proven collected", unloaded is not null);
        }
    }

    /// <summary>The evidence lines every swap demo prints.</summary>
    public static IEnumerable<(string Label, string Value)> Lines(this SwapEvidence evidence)
    {
        yield return ("calls served by v1", evidence.ServedByV1.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        yield return ("calls served by v2", evidence.ServedByV2.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        yield return ("failed calls", evidence.Failures == 0 ? "0" : $"{evidence.Failures} (first: {evidence.FirstFailure})");
        yield return ("swap duration", $"{evidence.Swap.Duration.TotalMilliseconds:0.0} ms (the build before it excluded)");
        foreach ((PluginVersionInfo version, UnloadedEventArgs? unloaded) in evidence.Retired)
        {
            yield return ($"old {version.PluginName} context collected", unloaded is null
                ? "NO: still in memory after 30 s"
                : $"yes, {unloaded.Elapsed.TotalMilliseconds:0.0} ms after Unload(), {unloaded.Collections} forced collection(s)");
        }
    }
}
