using System.CommandLine;
using System.Text.Json.Nodes;
using Hotswap.Cli.Commands;

namespace Hotswap.Cli;

/// <summary>
/// The <c>hotswap</c> command. Exit codes: 0 success, 1 a failed operation, 2 a usage error, 130
/// (143) stopped by Ctrl+C (SIGTERM) after cleaning up.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var signals = new TerminationSignals();
        CommandLineArguments arguments = CommandLineArguments.Split(args);
        var output = new CliOutput(arguments.Json, Console.Out, Console.Error);
        RootCommand root = CreateRootCommand(Console.Out, Console.Error, arguments.PassThrough);
        ParseResult parse = root.Parse(arguments.ForParser);
        if (UsageErrors(parse, arguments) is { Count: > 0 } errors)
        {
            foreach (string error in errors)
            {
                output.Error(error);
            }

            output.Error($"Run '{CommandPath(parse)} --help' for usage.");
            output.Document(new JsonObject
            {
                ["succeeded"] = false,
                ["error"] = string.Join(" ", errors),
                ["errors"] = new JsonArray([.. errors.Select(static e => (JsonNode?)e)]),
                ["exitCode"] = ExitCodes.Usage,
            });
            return ExitCodes.Usage;
        }

        int exitCode;
        try
        {
            // Signals are ours (TerminationSignals), and so are failures: an expected one is one line, never a stack trace.
            exitCode = await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false }, signals.Token).ConfigureAwait(false);
        }
        catch (Exception) when (signals.ExitCode is not null)
        {
            // Stopped by a signal: whatever the cancellation threw on its way out, the exit code says so.
            exitCode = ExitCodes.Failed;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // An expected failure a command did not report itself: a path that cannot be read or written
            // (the message names it), or no 'dotnet' to run. One line, no stack trace.
            exitCode = output.Fail(CliOutput.OneLine(ex.Message), ExitCodes.Failed);
        }
        catch (Exception ex)
        {
            // A bug: the stack trace helps whoever reports it. Still exit 1 (not the runtime's abort), with JSON when asked.
            output.Error(ex.ToString());
            output.Document(new JsonObject { ["succeeded"] = false, ["error"] = CliOutput.OneLine(ex.Message), ["exitCode"] = ExitCodes.Failed });
            exitCode = ExitCodes.Failed;
        }

        return signals.ExitCode ?? exitCode;
    }

    internal static RootCommand CreateRootCommand(TextWriter stdout, TextWriter stderr, IReadOnlyList<string> passThrough)
    {
        var root = new RootCommand("hotswap: build, publish, sign, verify, watch and roll back plugins for Hotswap hosts, and see what running hosts have loaded.");
        root.Subcommands.Add(BuildCommand.Create(stdout, stderr, passThrough));
        root.Subcommands.Add(VerifyCommand.Create(stdout, stderr));
        root.Subcommands.Add(WatchCommand.Create(stdout, stderr, passThrough));
        root.Subcommands.Add(StatusCommand.Create(stdout, stderr));
        root.Subcommands.Add(RollbackCommand.Create(stdout, stderr));
        root.Subcommands.Add(RunCommand.Create(stdout, stderr));
        root.Subcommands.Add(KeygenCommand.Create(stdout, stderr));
        root.Subcommands.Add(SignCommand.Create(stdout, stderr));
        root.Subcommands.Add(FleetCommand.Create(stdout, stderr));
        root.Subcommands.Add(DiagnoseCommand.Create(stdout, stderr));
        return root;
    }

    /// <summary>
    /// The parser's errors, where a token it did not match that looks like an option is reported as
    /// an unknown option of the command, and arguments after <c>--</c> given to a command that takes
    /// none are refused.
    /// </summary>
    private static List<string> UsageErrors(ParseResult parse, CommandLineArguments arguments)
    {
        string command = CommandPath(parse);
        var errors = new List<string>();
        var unmatched = parse.UnmatchedTokens.ToHashSet(StringComparer.Ordinal);
        foreach (System.CommandLine.Parsing.ParseError error in parse.Errors)
        {
            string? token = unmatched.FirstOrDefault(t => t.StartsWith('-') && error.Message.Contains($"'{t}'", StringComparison.Ordinal));
            errors.Add(token is null ? error.Message : $"Unknown option '{token}' for '{command}'.");
        }

        if (errors.Count > 0 && unmatched.Any(static t => t.StartsWith('-')) && parse.CommandResult.Command.Name is "build" or "watch")
        {
            errors.Add($"Arguments for dotnet publish go after '--': {command} <pluginProject> <pluginsRoot> -- -p:Name=Value.");
        }

        if (errors.Count == 0 && arguments.PassThrough.Count > 0 && parse.CommandResult.Command.Name is not ("build" or "watch"))
        {
            errors.Add($"'{command}' takes no arguments after '--' (only build and watch pass them to dotnet publish).");
        }

        return errors;
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (System.CommandLine.Parsing.SymbolResult? result = parse.CommandResult; result is not null; result = result.Parent)
        {
            if (result is System.CommandLine.Parsing.CommandResult { Command: var command })
            {
                names.Insert(0, command is RootCommand ? "hotswap" : command.Name);
            }
        }

        return string.Join(' ', names);
    }
}
