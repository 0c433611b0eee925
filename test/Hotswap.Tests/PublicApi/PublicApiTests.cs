using Hotswap.Tests.Support;
using System.Reflection;

namespace Hotswap.Tests.PublicApi;

/// <summary>
/// One approval test of the whole public surface: a change to it must come with a change to the
/// checked-in text. On a mismatch the current surface is written beside it as *.received.txt.
/// </summary>
public sealed class PublicApiTests
{
    [Theory]
    [InlineData("Hotswap.Abstractions")]
    [InlineData("Hotswap")]
    [InlineData("Hotswap.Hosting")]
    [InlineData("Hotswap.AspNetCore")]
    [InlineData("Hotswap.Fleet")]
    [InlineData("Hotswap.Diagnostics")]
    public void PublicApi_MatchesApprovedText(string assemblyName)
    {
        Assembly assembly = Assembly.Load(assemblyName);
        string approvedPath = Path.Combine(Repository.Root, "test", "Hotswap.Tests", "PublicApi", $"{assemblyName}.approved.txt");
        string actual = PublicApiFormatter.Format(assembly);
        string approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";

        if (actual != approved)
        {
            File.WriteAllText(Path.ChangeExtension(approvedPath, null).Replace(".approved", ".received", StringComparison.Ordinal) + ".txt", actual);
        }

        Assert.Equal(approved, actual);
    }

    [Fact]
    public void PublicAsyncMethods_TakeACancellationTokenLast()
    {
        var offenders = new List<string>();
        foreach (Type type in new[] { typeof(Plugin).Assembly, typeof(PluginHost).Assembly, typeof(HotswapHostingOptions).Assembly, typeof(IPluginEndpoints).Assembly, typeof(FleetAgent).Assembly, typeof(Hotswap.Diagnostics.UnloadDiagnosers).Assembly }.SelectMany(a => a.GetExportedTypes()))
        {
            foreach (MethodInfo method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (!method.Name.EndsWith("Async", StringComparison.Ordinal) || method.Name == nameof(IAsyncDisposable.DisposeAsync))
                {
                    continue;
                }

                ParameterInfo[] parameters = method.GetParameters();
                if (parameters.Length == 0 || parameters[^1].ParameterType != typeof(CancellationToken))
                {
                    offenders.Add($"{type.Name}.{method.Name}");
                }
            }
        }

        Assert.Empty(offenders);
    }

    [Fact]
    public void PublicTypes_AreSealedAbstractStaticOrInterfaces()
    {
        Type[] open = [.. new[] { typeof(Plugin).Assembly, typeof(PluginHost).Assembly, typeof(HotswapHostingOptions).Assembly, typeof(IPluginEndpoints).Assembly, typeof(FleetAgent).Assembly, typeof(Hotswap.Diagnostics.UnloadDiagnosers).Assembly }
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => t.IsClass && !t.IsAbstract && !t.IsSealed)];

        // PluginException is the one unsealed class: PluginLoadException derives from it, and callers catch it.
        Assert.Equal([typeof(PluginException)], open);
    }
}
