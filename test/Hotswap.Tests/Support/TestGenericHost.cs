using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Hotswap.Tests.Support;

/// <summary>Builds a generic host as an application does, its configuration an in-memory "appsettings".</summary>
public static class TestGenericHost
{
    /// <summary>
    /// A host whose configuration is <paramref name="settings"/> alone (no files, no environment
    /// variables, so nothing on the machine changes what a test reads), with services added by <paramref name="services"/>.
    /// </summary>
    public static IHost Build(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection> services)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        services(builder.Services);
        return builder.Build();
    }

    /// <summary>The settings every test starts from: the plugins root, and no status file (its refresh timer would run on a test's manual clock).</summary>
    public static Dictionary<string, string?> Settings(TestRoot root) => new(StringComparer.Ordinal)
    {
        ["Hotswap:PluginsRoot"] = root.PluginsRoot,
        ["Hotswap:WriteStatus"] = "false",
    };
}
