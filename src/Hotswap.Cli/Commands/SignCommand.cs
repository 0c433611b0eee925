using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hotswap.Cli.Commands;

/// <summary>Signs a version folder built elsewhere: verifies it, then replaces its <c>plugin.json</c> with the signed manifest.</summary>
internal static class SignCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var folder = new Argument<string>("versionFolder") { Description = "The version folder to sign, inside its plugin's folder." };
        var key = new Argument<string>("keyFile") { Description = "The private key file written by 'hotswap keygen'." };
        Option<long?> sequence = CommonOptions.Sequence();
        Option<bool> json = CommonOptions.Json();
        var command = new Command("sign", "Sign a version folder's manifest (every file's SHA-256 with it); the folder must verify first.") { folder, key, sequence, json };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var output = new CliOutput(parse.GetValue(json), stdout, stderr);
            string target = Path.GetFullPath(parse.GetValue(folder)!);
            if (parse.GetValue(sequence) < 1)
            {
                return Fail(output, target, "--sequence must be at least 1.", ExitCodes.Usage);
            }

            if (!Directory.Exists(target))
            {
                return Fail(output, target, $"'{target}' does not exist.", ExitCodes.Failed);
            }

            if (!CommonOptions.TryReadPrivateKey(parse.GetValue(key)!, out string? privateKey, out string? error))
            {
                return Fail(output, target, error, ExitCodes.Failed);
            }

            PluginManifest signed;
            try
            {
                signed = await PluginPublisher.SignAsync(target, privateKey, parse.GetValue(sequence), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                return Fail(output, target, CliOutput.OneLine(ex.Message), ExitCodes.Failed);
            }

            string keyId = PluginPublisher.GetKeyId(privateKey);
            output.Line($"Signed {signed.Name} {signed.Version} with key {keyId} (sequence {signed.Sequence}).");
            output.Document(new JsonObject
            {
                ["succeeded"] = true,
                ["versionDirectory"] = target,
                ["plugin"] = signed.Name,
                ["version"] = signed.Version,
                ["keyId"] = keyId,
                ["sequence"] = signed.Sequence,
                ["error"] = null,
            });
            return ExitCodes.Success;
        });
        return command;
    }

    private static int Fail(CliOutput output, string target, string message, int exitCode)
        => output.Fail(message, exitCode, new JsonObject { ["versionDirectory"] = target });
}
