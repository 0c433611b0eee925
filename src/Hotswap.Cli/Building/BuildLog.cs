namespace Hotswap.Cli.Building;

/// <summary>What a <c>dotnet</c> build printed: its exit code, its distinct errors and warnings in order, and all its text.</summary>
internal sealed record BuildLog(int ExitCode, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings, string Text);
