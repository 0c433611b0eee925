using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Hotswap.Tests.Support;

/// <summary>Runs the real hotswap CLI as a process.</summary>
public static class CliRunner
{
    public static string CliPath => Fixtures.PathOf("hotswap-cli");

    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using Process process = Start(args);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(CliPath);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
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

    public void Break() => File.WriteAllText(System.IO.Path.Combine(Directory, "ScratchPlugin.cs"), "namespace Scratch; public sealed class Broken { int x = ; }");
}
