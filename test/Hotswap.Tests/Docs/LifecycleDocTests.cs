using System.Reflection;
using System.Text.RegularExpressions;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Docs;

/// <summary>docs/lifecycle.md names, for each guarantee, the test that proves it: every name must be a test of this assembly.</summary>
public sealed partial class LifecycleDocTests
{
    [Fact]
    public void GuaranteesTable_NamesOnlyTestsThatExist()
    {
        string markdown = File.ReadAllText(Path.Combine(Repository.Root, "docs", "lifecycle.md"));
        string table = markdown[markdown.IndexOf("## Guarantees and the tests that prove them", StringComparison.Ordinal)..];
        HashSet<string> tests = [.. typeof(LifecycleDocTests).Assembly.GetTypes()
            .SelectMany(static t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(static m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any())
            .Select(static m => m.Name)];

        string[] named = [.. TestName().Matches(table).Select(static m => m.Groups["method"].Value)];

        Assert.True(named.Length >= 15, $"only {named.Length} tests named");
        Assert.All(named, name => Assert.Contains(name, tests));
    }

    [GeneratedRegex(@"`(?:\w+\.)?(?<method>\w+_\w+)`")]
    private static partial Regex TestName();
}
