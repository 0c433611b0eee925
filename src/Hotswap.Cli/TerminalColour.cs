namespace Hotswap.Cli;

/// <summary>
/// Whether to colour what goes to a console stream: only on a terminal (or where .NET's
/// <c>DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION</c> asks for colour in redirected output),
/// never when <c>NO_COLOR</c> is set to anything but the empty string (https://no-color.org), and
/// never for <c>TERM=dumb</c>.
/// </summary>
internal static class TerminalColour
{
    public const string Red = "\u001b[31m";
    public const string Yellow = "\u001b[33m";
    public const string Green = "\u001b[32m";
    public const string Reset = "\u001b[0m";

    /// <summary>Whether text written to this writer is coloured.</summary>
    /// <param name="writer">A writer; only the console's own <see cref="Console.Out"/> and <see cref="Console.Error"/> are ever coloured.</param>
    /// <returns><see langword="true"/> to colour.</returns>
    public static bool For(TextWriter writer)
    {
        bool? redirected = ReferenceEquals(writer, Console.Out) ? Console.IsOutputRedirected
            : ReferenceEquals(writer, Console.Error) ? Console.IsErrorRedirected
            : null;
        return redirected is { } isRedirected
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
            && Environment.GetEnvironmentVariable("TERM") != "dumb"
            && (!isRedirected || Environment.GetEnvironmentVariable("DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION") is "1" or "true");
    }
}
