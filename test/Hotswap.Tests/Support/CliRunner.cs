using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Hotswap.Tests.Support;

/// <summary>Runs the real hotswap CLI as a process.</summary>
public static class CliRunner
{
    public static string CliPath => Fixtures.PathOf("hotswap-cli");

    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string?>(), args);

    /// <summary>Runs the CLI with these environment variables set (a <see langword="null"/> value removes one).</summary>
    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using Process process = Start(environment, args);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public static Process Start(params string[] args) => Start(new Dictionary<string, string?>(), args);

    public static Process Start(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach ((string name, string? value) in environment)
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(CliPath);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    /// <summary>Reads lines of a running CLI's stdout until one matches; fails after the timeout or at the end of the output.</summary>
    /// <returns>The matching line.</returns>
    public static async Task<string> ReadUntilAsync(Process process, Func<string, bool> match, List<string> seen, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        while (await process.StandardOutput.ReadLineAsync(cancellation.Token) is { } line)
        {
            seen.Add(line);
            if (match(line))
            {
                return line;
            }
        }

        throw new InvalidOperationException("The CLI's output ended before the line came:\n" + string.Join("\n", seen));
    }

    /// <summary>Sends a POSIX signal (INT, TERM) to the process, as Ctrl+C or a service manager does.</summary>
    public static void Signal(Process process, string signal)
    {
        using Process kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public JsonNode Json => JsonNode.Parse(Stdout) ?? throw new InvalidOperationException("The CLI printed no JSON.");

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>A real plugin project in a scratch folder, referencing the built Hotswap.Abstractions.</summary>
public sealed class ScratchPlugin
{
    public ScratchPlugin(string parent, string tag = "one")
    {
        Directory = System.IO.Path.Combine(parent, "plugin-src-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(ProjectFile, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <EnableDynamicLoading>true</EnableDynamicLoading>
                <AssemblyName>Scratch</AssemblyName>
              </PropertyGroup>
              <ItemGroup>
                <Reference Include="Hotswap.Abstractions">
                  <HintPath>{typeof(Plugin).Assembly.Location}</HintPath>
                  <Private>false</Private>
                </Reference>
              </ItemGroup>
            </Project>
            """);
        SetTag(tag);
    }

    public string Directory { get; }

    public string ProjectFile => System.IO.Path.Combine(Directory, "Scratch.csproj");

    public void SetTag(string tag) => File.WriteAllText(System.IO.Path.Combine(Directory, "ScratchPlugin.cs"), $$"""
        using Hotswap;
        [assembly: HotswapPlugin(typeof(Scratch.ScratchPlugin))]
        namespace Scratch;
        public sealed class ScratchPlugin : Plugin
        {
            public override object? Invoke(string name, params object?[] args) => name == "tag" ? "{{tag}}" : null;
        }
        """);

    /// <summary>Adds a compiler warning (CS0168, an unused variable) to the plugin's source.</summary>
    public void AddWarning() => File.WriteAllText(System.IO.Path.Combine(Directory, "Unused.cs"), "namespace Scratch; internal static class Unused { public static void M() { int unused; } }");

    /// <summary>References a contract project: the plugin's tag becomes the contract's word.</summary>
    public void Reference(ScratchContract contract)
    {
        File.WriteAllText(ProjectFile, File.ReadAllText(ProjectFile).Replace("</Project>", $"""
              <ItemGroup>
                <ProjectReference Include="{System.IO.Path.GetRelativePath(Directory, contract.ProjectFile)}" />
              </ItemGroup>
            </Project>
            """, StringComparison.Ordinal));
        File.WriteAllText(System.IO.Path.Combine(Directory, "ScratchPlugin.cs"), """
            using Hotswap;
            [assembly: HotswapPlugin(typeof(Scratch.ScratchPlugin))]
            namespace Scratch;
            public sealed class ScratchPlugin : Plugin
            {
                public override object? Invoke(string name, params object?[] args) => name == "tag" ? ScratchContract.Words.Tag() : null;
            }
            """);
    }

    public void Break() => File.WriteAllText(System.IO.Path.Combine(Directory, "ScratchPlugin.cs"), "namespace Scratch; public sealed class Broken { int x = ; }");
}

/// <summary>A real class library in a scratch folder, for a <see cref="ScratchPlugin"/> to reference.</summary>
public sealed class ScratchContract
{
    public ScratchContract(string parent, string word = "one")
    {
        Directory = System.IO.Path.Combine(parent, "contract-src-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(ProjectFile, """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <AssemblyName>ScratchContract</AssemblyName>
              </PropertyGroup>
            </Project>
            """);
        SetWord(word);
    }

    public string Directory { get; }

    public string ProjectFile => System.IO.Path.Combine(Directory, "ScratchContract.csproj");

    public void SetWord(string word) => File.WriteAllText(System.IO.Path.Combine(Directory, "Words.cs"), $$"""
        namespace ScratchContract;
        public static class Words
        {
            public static string Tag() => "{{word}}";
        }
        """);

    /// <summary>Adds a reference to another project to this one's project file.</summary>
    public void Reference(ScratchContract other) => File.WriteAllText(ProjectFile, File.ReadAllText(ProjectFile).Replace("</Project>", $"""
          <ItemGroup>
            <ProjectReference Include="{System.IO.Path.GetRelativePath(Directory, other.ProjectFile)}" />
          </ItemGroup>
        </Project>
        """, StringComparison.Ordinal));
}
