namespace Hotswap.Cli;

/// <summary>
/// The command line split at its first <c>--</c>, as the dotnet tools do: what comes before is ours
/// to parse (an option we do not know is an error), what comes after goes to <c>dotnet publish</c>
/// unparsed.
/// </summary>
internal sealed record CommandLineArguments(IReadOnlyList<string> ForParser, IReadOnlyList<string> PassThrough)
{
    /// <summary>Whether <c>--json</c> is among the tokens we parse: then even a usage error is reported as JSON.</summary>
    public bool Json => ForParser.Contains("--json", StringComparer.Ordinal);

    public static CommandLineArguments Split(IReadOnlyList<string> args)
    {
        int separator = args.ToList().IndexOf("--");
        return separator < 0 ? new(args, []) : new([.. args.Take(separator)], [.. args.Skip(separator + 1)]);
    }
}
