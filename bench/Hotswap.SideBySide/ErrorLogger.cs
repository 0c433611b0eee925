using BenchmarkDotNet.Loggers;

namespace Hotswap.SideBySide;

/// <summary>BenchmarkDotNet's log, to standard error: standard output carries only the report.</summary>
internal sealed class ErrorLogger : ILogger
{
    public string Id => nameof(ErrorLogger);

    public int Priority => 0;

    public void Write(LogKind logKind, string text) => Console.Error.Write(text);

    public void WriteLine() => Console.Error.WriteLine();

    public void WriteLine(LogKind logKind, string text) => Console.Error.WriteLine(text);

    public void Flush() => Console.Error.Flush();
}
