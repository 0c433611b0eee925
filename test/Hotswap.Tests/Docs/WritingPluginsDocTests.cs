using System.Text.RegularExpressions;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Docs;

/// <summary>docs/writing-plugins.md shows, for each known pin, the cleanup a fixture plugin runs and a test proves.</summary>
public sealed partial class WritingPluginsDocTests
{
    [Fact]
    public void KnownPins_SqliteSection_ShowsTheCleanupTheSqliteFixtureRuns()
    {
        string markdown = File.ReadAllText(Path.Combine(Repository.Root, "docs", "writing-plugins.md"));
        string section = markdown[markdown.IndexOf("### Microsoft.Data.Sqlite", StringComparison.Ordinal)..];
        string shown = Normalize(CodeBlock().Match(section).Groups["code"].Value);

        string source = File.ReadAllText(Path.Combine(Repository.Root, "test", "TestPlugins", "SqliteUser", "SqliteUserPlugin.cs"));
        Match region = Region().Match(source);
        Assert.True(region.Success, "SqliteUserPlugin.cs has no #region sqlite-cleanup.");
        string tested = Normalize(region.Groups["code"].Value);

        Assert.Contains(tested, shown, StringComparison.Ordinal);
    }

    // Indentation differs between the doc and the fixture; the lines must not.
    private static string Normalize(string code)
        => string.Join('\n', code.ReplaceLineEndings("\n").Split('\n').Select(static l => l.Trim()).Where(static l => l.Length > 0));

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex(@"#region sqlite-cleanup\r?\n(?<code>.*?)#endregion", RegexOptions.Singleline)]
    private static partial Regex Region();
}
