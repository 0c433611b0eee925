using System.Text.RegularExpressions;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Docs;

/// <summary>
/// Every C# block in the docs marked <c>&lt;!-- snippet: name --&gt;</c> must equal the region of that
/// name in samples/Snippets, which the build compiles: documented code cannot rot.
/// </summary>
public sealed partial class SnippetTests
{
    public static TheoryData<string> Documents => ["README.md", "docs/concepts.md", "docs/proxies.md", "docs/hosting.md", "docs/lifecycle.md"];

    [Theory]
    [MemberData(nameof(Documents))]
    public void Document_MarkedCodeBlocks_MatchCompiledSnippets(string document)
    {
        string root = Repository.Root;
        Dictionary<string, string> regions = Regions(Path.Combine(root, "samples", "Snippets"));
        string markdown = File.ReadAllText(Path.Combine(root, document)).ReplaceLineEndings("\n");

        MatchCollection blocks = MarkedBlock().Matches(markdown);

        Assert.NotEmpty(blocks);
        foreach (Match block in blocks)
        {
            string name = block.Groups["name"].Value;
            Assert.True(regions.TryGetValue(name, out string? code), $"{document} shows snippet '{name}', but samples/Snippets has no #region {name}.");
            Assert.Equal(code, block.Groups["code"].Value.TrimEnd());
        }
    }

    private static Dictionary<string, string> Regions(string directory)
    {
        var regions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(directory, "*.cs"))
        {
            foreach (Match region in Region().Matches(File.ReadAllText(file).ReplaceLineEndings("\n")))
            {
                regions.Add(region.Groups["name"].Value, Dedent(region.Groups["code"].Value));
            }
        }

        return regions;
    }

    private static string Dedent(string code)
    {
        string[] lines = code.Split('\n');
        int indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart())).TrimEnd();
    }

    [GeneratedRegex(@"<!-- snippet: (?<name>[\w-]+) -->\n```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex MarkedBlock();

    [GeneratedRegex(@"^[ \t]*#region (?<name>[\w-]+)\n(?<code>.*?)\n[ \t]*#endregion", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex Region();
}
