using System.CommandLine;
using System.Text.Json.Nodes;
using Hotswap.Cli.Building;

namespace Hotswap.Cli.Commands;

internal static class BuildCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyList<string> passThrough)
    {
        Argument<string> project = CommonOptions.Project();
        Argument<string> root = CommonOptions.PluginsRoot();
        Option<string?> name = CommonOptions.Name();
        Option<string> configuration = CommonOptions.Configuration();
        Option<int> keep = CommonOptions.Keep();
        Option<bool> json = CommonOptions.Json();
        var force = new Option<bool>("--force") { Description = "Publish a new version even when the build output equals the current version." };
        var sign = new Option<string?>("--sign") { Description = "Sign the manifest with this private key file (written by 'hotswap keygen') before 'current' flips." };
        Option<long?> sequence = CommonOptions.Sequence();
        Option<BuildVerbosity> verbosity = CommonOptions.Verbosity();
        var command = new Command("build", "Build a plugin project and publish it as a new version folder, then flip 'current'. Arguments after '--' go to dotnet publish, e.g. -- -p:Name=Value.")
        {
            project, root, name, configuration, keep, force, sign, sequence, verbosity, json,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var output = new CliOutput(parse.GetValue(json), stdout, stderr) { Verbosity = parse.GetValue(verbosity) };
            if (!CommonOptions.TryResolveProject(parse.GetValue(project)!, out string? projectFile, out string? error))
            {
                return output.Fail(error, ExitCodes.Failed);
            }

            if (parse.GetValue(keep) < 0)
            {
                return output.Fail("--keep must not be negative.", ExitCodes.Usage);
            }

            if (parse.GetValue(sequence) is { } given && (given < 1 || parse.GetValue(sign) is null))
            {
                return output.Fail(given < 1 ? "--sequence must be at least 1." : "--sequence needs --sign: only signed manifests carry a sequence.", ExitCodes.Usage);
            }

            string? signingKey = null;
            if (parse.GetValue(sign) is { } keyFile && !CommonOptions.TryReadPrivateKey(keyFile, out signingKey, out error))
            {
                return output.Fail(error, ExitCodes.Failed);
            }

            if (!CommonOptions.TryCheckName(parse.GetValue(name), projectFile, out string? pluginName, out error))
            {
                return output.Fail(error, ExitCodes.Usage);
            }

            if (!PluginFolder.TryCreate(parse.GetValue(root)!, pluginName, out error))
            {
                return output.Fail(error, ExitCodes.Failed);
            }

            var request = new BuildRequest(projectFile, parse.GetValue(root)!, pluginName, parse.GetValue(configuration)!, parse.GetValue(keep), passThrough, parse.GetValue(force), signingKey, parse.GetValue(sequence))
            {
                Verbosity = parse.GetValue(verbosity),
            };
            BuildOutcome outcome = await new PluginBuilder(output, TimeProvider.System).BuildAsync(request, cancellationToken).ConfigureAwait(false);
            return Report(output, request, outcome);
        });
        return command;
    }

    /// <summary>Prints what a build did (with --json, as one document) and returns its exit code.</summary>
    public static int Report(CliOutput output, BuildRequest request, BuildOutcome outcome)
    {
        int exitCode = outcome.Succeeded ? ExitCodes.Success : ExitCodes.Failed;
        if (outcome.Published is { } published)
        {
            output.Success($"{(published.Unchanged ? "Current" : "Published")} {request.PluginName} {published.Version} in {outcome.Elapsed.TotalSeconds:0.00} s"
                + (published.Manifest.Signature is not null ? $", signed (sequence {published.Manifest.Sequence})" : "")
                + (outcome.Pruned.Count > 0 ? $"; pruned {string.Join(", ", outcome.Pruned)}" : ""));
        }
        else
        {
            output.Error($"Build of '{request.PluginName}' failed; nothing was published and 'current' is unchanged:");
            foreach (string error in outcome.Errors)
            {
                output.Error("  " + error);
            }
        }

        output.Document(new JsonObject
        {
            ["succeeded"] = outcome.Succeeded,
            ["plugin"] = request.PluginName,
            ["version"] = outcome.Published?.Version,
            ["unchanged"] = outcome.Published?.Unchanged ?? false,
            ["versionDirectory"] = outcome.Published?.VersionDirectory,
            ["signature"] = outcome.Published?.Manifest.Signature,
            ["sequence"] = outcome.Published?.Manifest.Sequence,
            ["leftOut"] = new JsonArray([.. outcome.LeftOut.Select(static f => (JsonNode?)f)]),
            ["pruned"] = new JsonArray([.. outcome.Pruned.Select(static v => (JsonNode?)v)]),
            ["errors"] = new JsonArray([.. outcome.Errors.Select(static e => (JsonNode?)e)]),
            ["warnings"] = new JsonArray([.. outcome.Warnings.Select(static w => (JsonNode?)w)]),
            ["elapsedMs"] = Math.Round(outcome.Elapsed.TotalMilliseconds),
            ["exitCode"] = exitCode,
        });
        return exitCode;
    }
}
