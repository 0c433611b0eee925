using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hotswap.Cli.Commands;

internal static class VerifyCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var path = new Argument<string>("path") { Description = "A plugins root (every version folder of every plugin is checked) or one version folder." };
        Option<bool> json = CommonOptions.Json();
        var command = new Command("verify", "Check manifests and the SHA-256 of every file; name each changed, missing or extra file.") { path, json };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var output = new CliOutput(parse.GetValue(json), stdout, stderr);
            string target = Path.GetFullPath(parse.GetValue(path)!);
            if (!Directory.Exists(target))
            {
                output.Error($"'{target}' does not exist.");
                return ExitCodes.Failed;
            }

            var results = new List<VerificationResult>();
            var extraProblems = new List<VerificationProblem>();
            if (File.Exists(Path.Combine(target, PluginManifest.FileName)))
            {
                results.Add(await PluginPublisher.VerifyAsync(target, cancellationToken).ConfigureAwait(false));
            }
            else
            {
                foreach (string plugin in Directory.GetDirectories(target).Where(static d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal))
                {
                    string current = Path.Combine(plugin, "current");
                    if (File.Exists(current) && !Directory.Exists(Path.Combine(plugin, File.ReadAllText(current).Trim())))
                    {
                        extraProblems.Add(new VerificationProblem(current, $"'current' names '{File.ReadAllText(current).Trim()}', which is not a version folder here."));
                    }

                    foreach (string version in Directory.GetDirectories(plugin).Where(static d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal))
                    {
                        results.Add(await PluginPublisher.VerifyAsync(version, cancellationToken).ConfigureAwait(false));
                    }
                }
            }

            foreach (VerificationResult result in results)
            {
                output.Line(result.IsValid ? $"ok      {result.VersionDirectory}" : $"FAILED  {result.VersionDirectory}");
                foreach (VerificationProblem problem in result.Problems)
                {
                    output.Line($"        {problem.FilePath}: {problem.Message}");
                }
            }

            foreach (VerificationProblem problem in extraProblems)
            {
                output.Line($"FAILED  {problem.FilePath}: {problem.Message}");
            }

            int problems = results.Sum(static r => r.Problems.Count) + extraProblems.Count;
            output.Line(problems == 0 ? $"{results.Count} version folder(s) verified." : $"{problems} problem(s) in {results.Count(static r => !r.IsValid) + extraProblems.Count} place(s).");
            output.Document(new JsonObject
            {
                ["valid"] = problems == 0,
                ["versions"] = new JsonArray([.. results.Select(static r => (JsonNode?)new JsonObject
                {
                    ["versionDirectory"] = r.VersionDirectory,
                    ["valid"] = r.IsValid,
                    ["problems"] = new JsonArray([.. r.Problems.Select(static p => (JsonNode?)new JsonObject { ["file"] = p.FilePath, ["message"] = p.Message })]),
                })]),
                ["otherProblems"] = new JsonArray([.. extraProblems.Select(static p => (JsonNode?)new JsonObject { ["file"] = p.FilePath, ["message"] = p.Message })]),
            });
            return problems == 0 ? ExitCodes.Success : ExitCodes.Failed;
        });
        return command;
    }
}
