using System.Reflection;

namespace Hotswap.Tests.Support;

/// <summary>The published fixture projects, found through the generated <see cref="FixtureAttribute"/>s.</summary>
public static class Fixtures
{
    public const string GreeterV1 = "Greeter.V1";
    public const string Pinner = "Pinner";
    public const string GreeterV2 = "Greeter.V2";
    public const string FleetGreeterV1 = "FleetGreeter.V1";
    public const string FleetGreeterV2 = "FleetGreeter.V2";
    public const string NoAttribute = "NoAttribute";
    public const string WrongEntryType = "WrongEntryType";
    public const string LibUserOne = "LibUserOne";
    public const string LibUserTwo = "LibUserTwo";
    public const string PricingUserOne = "PricingUserOne";
    public const string PricingUserTwo = "PricingUserTwo";
    public const string PricingUserShips = "PricingUserShips";
    public const string Localized = "Localized";
    public const string NestedOuterV1 = "NestedOuter.V1";
    public const string NestedOuterV2 = "NestedOuter.V2";
    public const string NestedHelloA1 = "NestedHello.A1";
    public const string NestedHelloA2 = "NestedHello.A2";
    public const string NestedHelloB = "NestedHello.B";
    public const string ContractCopy = "ContractCopy";
    public const string Sticky = "Sticky";
    public const string JsonUser = "JsonUser";

    /// <summary>Never disposes the timer it starts: each version stays in memory; needs only Hotswap.Abstractions.</summary>
    public const string TimerLeak = "TimerLeak";
    public const string SqliteUser = "SqliteUser";
    public const string ChainAlphaV1 = "ChainAlpha.V1";
    public const string ChainAlphaV2 = "ChainAlpha.V2";
    public const string ChainBeta = "ChainBeta";
    public const string ChainGamma = "ChainGamma";
    public const string ChainCycle = "ChainCycle";
    public const string WorkerV1 = "Worker.V1";
    public const string WorkerV2 = "Worker.V2";
    public const string ShapesV1 = "Shapes.V1";
    public const string ShapesV2 = "Shapes.V2";
    public const string WebGreeterV1 = "WebGreeter.V1";
    public const string WebGreeterV2 = "WebGreeter.V2";

    private static readonly Dictionary<string, string> s_paths = typeof(Fixtures).Assembly
        .GetCustomAttributes<FixtureAttribute>()
        .ToDictionary(a => a.Name, a => a.Path, StringComparer.Ordinal);

    public static string PathOf(string fixture)
    {
        if (!s_paths.TryGetValue(fixture, out string? path))
        {
            throw new InvalidOperationException($"No fixture named '{fixture}'. Known: {string.Join(", ", s_paths.Keys)}.");
        }

        if (!Directory.Exists(path) && !File.Exists(path))
        {
            throw new InvalidOperationException($"Fixture '{fixture}' was not published to '{path}'. Build the test project.");
        }

        return path;
    }

    /// <summary>Copies a fixture's output to a scratch folder, so a test can damage the copy.</summary>
    public static string CopyOf(string fixture, string scratch)
    {
        string source = PathOf(fixture);
        string target = Path.Combine(scratch, fixture + "-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }

        return target;
    }
}
