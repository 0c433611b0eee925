using System.CommandLine;
using Hotswap.Cli.Commands;

namespace Hotswap.Cli;

/// <summary>The <c>hotswap</c> command. Exit codes: 0 success, 1 a failed operation, 2 a usage error.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        RootCommand root = CreateRootCommand(Console.Out, Console.Error);
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (System.CommandLine.Parsing.ParseError error in parse.Errors)
            {
                await Console.Error.WriteLineAsync(error.Message).ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync("Run 'hotswap --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync().ConfigureAwait(false);
    }

    internal static RootCommand CreateRootCommand(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("hotswap: build, publish, sign, verify, watch and roll back plugins for Hotswap hosts, and see what running hosts have loaded.");
        root.Subcommands.Add(BuildCommand.Create(stdout, stderr));
        root.Subcommands.Add(VerifyCommand.Create(stdout, stderr));
        root.Subcommands.Add(WatchCommand.Create(stdout, stderr));
        root.Subcommands.Add(StatusCommand.Create(stdout, stderr));
        root.Subcommands.Add(RollbackCommand.Create(stdout, stderr));
        root.Subcommands.Add(RunCommand.Create(stdout, stderr));
        root.Subcommands.Add(KeygenCommand.Create(stdout, stderr));
        root.Subcommands.Add(SignCommand.Create(stdout, stderr));
        return root;
    }
}
