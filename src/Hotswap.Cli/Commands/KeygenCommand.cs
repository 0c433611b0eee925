using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hotswap.Cli.Commands;

/// <summary>Writes a new signing key: <c>&lt;prefix&gt;.key</c> (private, readable by its owner only) and <c>&lt;prefix&gt;.pub</c> (public, for hosts' trusted keys).</summary>
internal static class KeygenCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var prefix = new Argument<string>("outPrefix") { Description = "Where to write the key pair: <outPrefix>.key (private) and <outPrefix>.pub (public). Never inside the plugins root or a repository." };
        Option<bool> json = CommonOptions.Json();
        var command = new Command("keygen", "Create an ECDSA P-256 signing key pair for 'hotswap build --sign' and 'hotswap sign'; print its key id.") { prefix, json };
        command.SetAction((ParseResult parse) =>
        {
            var output = new CliOutput(parse.GetValue(json), stdout, stderr);
            string privatePath = Path.GetFullPath(parse.GetValue(prefix)! + ".key");
            string publicPath = Path.GetFullPath(parse.GetValue(prefix)! + ".pub");
            if (File.Exists(privatePath) || File.Exists(publicPath))
            {
                return Fail(output, $"'{(File.Exists(privatePath) ? privatePath : publicPath)}' exists already; keygen never overwrites a key. Choose another prefix.");
            }

            string privateKey = PluginPublisher.CreateSigningKey();
            string publicKey = PluginPublisher.GetPublicKey(privateKey);
            string keyId = PluginPublisher.GetKeyId(publicKey);
            try
            {
                Write(privatePath, privateKey, ownerOnly: true);
                Write(publicPath, publicKey, ownerOnly: false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return Fail(output, $"The key pair could not be written: {CliOutput.OneLine(ex.Message)}");
            }

            output.Line($"Wrote {privatePath} (private: keep it secret, off the plugins root) and {publicPath} (public: give it to hosts as a trusted key).");
            output.Line($"Key id {keyId}.");
            output.Document(new JsonObject
            {
                ["succeeded"] = true,
                ["keyId"] = keyId,
                ["privateKey"] = privatePath,
                ["publicKey"] = publicPath,
                ["error"] = null,
            });
            return ExitCodes.Success;
        });
        return command;
    }

    private static int Fail(CliOutput output, string message)
        => output.Fail(message, ExitCodes.Failed, new JsonObject { ["keyId"] = null, ["privateKey"] = null, ["publicKey"] = null });

    private static void Write(string path, string text, bool ownerOnly)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Created with these rights, so the private key is never readable by others, not even for a moment.
            options.UnixCreateMode = ownerOnly
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
        writer.Write('\n');
    }
}
