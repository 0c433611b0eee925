using System.Diagnostics;

namespace Hotswap.SideBySide;

/// <summary>A fresh process of this runner, started with <c>--child MODE ...</c>.</summary>
internal static class Child
{
    /// <summary>Creates the start info for a child process of this runner.</summary>
    /// <param name="args">The child's arguments (after <c>--child</c>).</param>
    /// <returns>The start info, standard output redirected.</returns>
    public static ProcessStartInfo StartInfo(params string[] args)
    {
        string process = Environment.ProcessPath ?? throw new InvalidOperationException("The runner's process path is unknown.");
        var info = new ProcessStartInfo(process) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(process) == "dotnet")
        {
            info.ArgumentList.Add(typeof(Child).Assembly.Location);
        }

        info.ArgumentList.Add("--child");
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    /// <summary>Runs a child to its end and returns its standard output.</summary>
    /// <param name="args">The child's arguments.</param>
    /// <returns>What it printed.</returns>
    /// <exception cref="InvalidOperationException">It exited with another code than 0.</exception>
    public static async Task<string> RunAsync(params string[] args)
    {
        using Process process = Process.Start(StartInfo(args)) ?? throw new InvalidOperationException("The child process did not start.");
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The child '{string.Join(' ', args)}' exited with code {process.ExitCode}.");
        }

        return output;
    }
}
