using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hotswap.Cli.Commands;

internal static class VerifyCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var path = new Argument<string>("path") { Description = "A plugins root (every version folder of every plugin is checked) or one version folder." };
        Option<bool> json = CommonOptions.Json();
        var trusted = new Option<string[]>("--trusted-key") { Description = "A trusted public key file (.pub from 'hotswap keygen'); repeat for several. With any, every version must be signed by one of them, as a host with these TrustedKeys requires.", AllowMultipleArgumentsPerToken = false };
        var command = new Command("verify", "Check manifests and the SHA-256 of every file, and signatures with --trusted-key; name each changed, missing or extra file.") { path, trusted, json };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var output = new CliOutput(parse.GetValue(json), stdout, stderr);
            string target = Path.GetFullPath(parse.GetValue(path)!);
            if (!Directory.Exists(target))
            {
                return output.Fail($"'{target}' does not exist.", ExitCodes.Failed);
            }

            var keys = new List<string>();
            foreach (string keyFile in parse.GetValue(trusted) ?? [])
            {
                try
                {
                    string text = File.ReadAllText(keyFile);
                    _ = PluginPublisher.GetKeyId(text);
                    keys.Add(text);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
                {
                    return output.Fail($"The trusted key '{keyFile}' cannot be used: {CliOutput.OneLine(ex.Message)}", ExitCodes.Failed);
                }
            }

            RootVerificationResult verified;
            try
            {
                verified = File.Exists(Path.Combine(target, PluginManifest.FileName))
                    ? new RootVerificationResult(target, [await PluginPublisher.VerifyAsync(target, keys, cancellationToken).ConfigureAwait(false)], [])
                    : await PluginPublisher.VerifyRootAsync(target, keys, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return output.Fail(CliOutput.OneLine(ex.Message), ExitCodes.Failed);
            }

            Render(verified, output);
            return verified.IsValid ? ExitCodes.Success : ExitCodes.Failed;
        });
        return command;
    }

    private static void Render(RootVerificationResult verified, CliOutput output)
    {
        foreach (VerificationResult result in verified.Versions)
        {
            output.Line(result.IsValid ? $"ok      {result.VersionDirectory}" : $"FAILED  {result.VersionDirectory}");
            foreach (VerificationProblem problem in result.Problems)
            {
                output.Line($"        {problem.FilePath}: {problem.Message}");
            }
        }

        foreach (VerificationProblem problem in verified.CurrentProblems)
        {
            output.Line($"FAILED  {problem.FilePath}: {problem.Message}");
        }

        output.Line(verified.IsValid
            ? $"{verified.Versions.Count} version folder(s) verified."
            : $"{verified.ProblemCount} problem(s) in {verified.Versions.Count(static r => !r.IsValid) + verified.CurrentProblems.Count} place(s).");
        output.Document(new JsonObject
        {
            ["valid"] = verified.IsValid,
            ["versions"] = new JsonArray([.. verified.Versions.Select(static r => (JsonNode?)new JsonObject
            {
                ["versionDirectory"] = r.VersionDirectory,
                ["valid"] = r.IsValid,
                ["problems"] = Problems(r.Problems),
            })]),
            ["otherProblems"] = Problems(verified.CurrentProblems),
        });
    }

    private static JsonArray Problems(IReadOnlyList<VerificationProblem> problems)
        => new([.. problems.Select(static p => (JsonNode?)new JsonObject { ["file"] = p.FilePath, ["message"] = p.Message })]);
}
