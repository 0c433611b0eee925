using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Hotswap.Hosting;

/// <summary>
/// Where the options of <c>AddHotswap</c> come from: one configuration section (by default the
/// section <c>Hotswap</c> of the host's <see cref="IConfiguration"/>), and the path that names its
/// settings in error messages (<c>Hotswap:LifecycleTimeout</c>).
/// </summary>
/// <remarks>Registered once, by the first <c>AddHotswap</c> call; later calls keep it.</remarks>
internal sealed class HotswapConfiguration
{
    private readonly Func<IServiceProvider, IConfiguration?> _section;

    private HotswapConfiguration(string path, Func<IServiceProvider, IConfiguration?> section)
    {
        Path = path;
        _section = section;
    }

    /// <summary>Gets the section's path, which prefixes each setting's name; empty for a configuration root.</summary>
    public string Path { get; }

    /// <summary>The section of the host's configuration at <paramref name="path"/>; nothing when the host registered no <see cref="IConfiguration"/>.</summary>
    public static HotswapConfiguration FromHost(string path)
        => new(path, sp => sp.GetService<IConfiguration>()?.GetSection(path));

    /// <summary>A section the caller holds.</summary>
    public static HotswapConfiguration FromSection(IConfiguration section)
        => new(section is IConfigurationSection named ? named.Path : "", _ => section);

    /// <summary>Gets the section, or <see langword="null"/> when there is no configuration to read.</summary>
    public IConfiguration? Section(IServiceProvider services) => _section(services);

    /// <summary>Gets the full name of one setting, as the configuration names it.</summary>
    public string Key(string setting) => Path.Length == 0 ? setting : ConfigurationPath.Combine(Path, setting);
}
