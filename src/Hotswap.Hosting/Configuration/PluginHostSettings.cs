using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Hotswap.Hosting;

/// <summary>
/// Reads the settable scalars of <see cref="PluginHostOptions"/> and <see cref="HotswapHostingOptions"/>
/// from a configuration section, by name. A value that cannot be read is left at its default and,
/// when an error list is given, reported there naming the setting: the options validator reads the
/// section again to report them all at once, where the binder cannot throw.
/// </summary>
/// <remarks>
/// Explicit, rather than <c>ConfigurationBinder.Bind</c>: the binder would also try the object-typed
/// properties (<see cref="PluginHostOptions.TimeProvider"/>, <see cref="PluginHostOptions.LoggerFactory"/>),
/// and it throws on the first unreadable value instead of naming every one.
/// </remarks>
internal static class PluginHostSettings
{
    public static void Bind(IConfiguration section, PluginHostOptions options, HotswapConfiguration source, List<string>? errors)
    {
        if (section[nameof(PluginHostOptions.PluginsRoot)] is { } root)
        {
            options.PluginsRoot = root;
        }

        Read(section, nameof(PluginHostOptions.Watch), ReadBool, v => options.Watch = v, source, errors);
        Read(section, nameof(PluginHostOptions.WatchMode), ReadWatchMode, v => options.WatchMode = v, source, errors);
        Read(section, nameof(PluginHostOptions.WatchDebounce), ReadTimeSpan, v => options.WatchDebounce = v, source, errors);
        Read(section, nameof(PluginHostOptions.PollingInterval), ReadTimeSpan, v => options.PollingInterval = v, source, errors);
        Read(section, nameof(PluginHostOptions.ReloadOnSignal), ReadBool, v => options.ReloadOnSignal = v, source, errors);
        Read(section, nameof(PluginHostOptions.LifecycleTimeout), ReadTimeSpan, v => options.LifecycleTimeout = v, source, errors);
        Read(section, nameof(PluginHostOptions.UnloadTimeout), ReadTimeSpan, v => options.UnloadTimeout = v, source, errors);
        Read(section, nameof(PluginHostOptions.UnloadForcedCollections), ReadInt, v => options.UnloadForcedCollections = v, source, errors);
        Read(section, nameof(PluginHostOptions.WriteStatus), ReadBool, v => options.WriteStatus = v, source, errors);
        Read(section, nameof(PluginHostOptions.Precompile), ReadBool, v => options.Precompile = v, source, errors);
        Read(section, nameof(PluginHostOptions.StatusInterval), ReadTimeSpan, v => options.StatusInterval = v, source, errors);
        Read(section, nameof(PluginHostOptions.Probation), ReadTimeSpan, v => options.Probation = v, source, errors);
        Read(section, nameof(PluginHostOptions.MaxDrainingVersions), ReadInt, v => options.MaxDrainingVersions = v, source, errors);

        // Assembly simple names the host shares beyond what it must (docs/concepts.md, "What is shared, and why").
        foreach (IConfigurationSection shared in section.GetSection(nameof(PluginHostOptions.SharedAssemblies)).GetChildren())
        {
            if (shared.Value is { Length: > 0 } name && !options.SharedAssemblies.Contains(name.Trim(), StringComparer.OrdinalIgnoreCase))
            {
                options.SharedAssemblies.Add(name.Trim());
            }
        }

        // Each entry is a public key's PEM text, or the path of a file holding one.
        foreach (IConfigurationSection key in section.GetSection(nameof(PluginHostOptions.TrustedKeys)).GetChildren())
        {
            if (key.Value is not { } text)
            {
                continue;
            }

            string name = source.Key(ConfigurationPath.Combine(nameof(PluginHostOptions.TrustedKeys), key.Key));
            if (ReadTrustedKey(text) is not { } pem)
            {
                errors?.Add(SR.SettingUnreadable(name, text, SR.ExpectedPublicKey));
                continue;
            }

            try
            {
                _ = PluginPublisher.GetKeyId(pem);
                options.TrustedKeys.Add(pem);
            }
            catch (ArgumentException ex)
            {
                // Left out, and named by its key: PluginHost.Create would only know its position.
                errors?.Add(SR.TrustedKeyInvalid(name, ex.Message));
            }
        }

        // Any key under AutoRollback turns automatic rollback on, with the defaults for the others.
        IConfigurationSection auto = section.GetSection(nameof(PluginHostOptions.AutoRollback));
        if (auto.GetChildren().Any())
        {
            AutoRollbackOptions policy = options.AutoRollback ??= new AutoRollbackOptions();
            Read(section, AutoRollbackKey(nameof(AutoRollbackOptions.FailureRate)), ReadDouble, v => policy.FailureRate = v, source, errors);
            Read(section, AutoRollbackKey(nameof(AutoRollbackOptions.MinimumCalls)), ReadInt, v => policy.MinimumCalls = v, source, errors);
        }
    }

    /// <summary>The key of a setting of <see cref="PluginHostOptions.AutoRollback"/>, relative to the section.</summary>
    /// <param name="setting">The setting's name.</param>
    /// <returns>For example <c>AutoRollback:FailureRate</c>.</returns>
    public static string AutoRollbackKey(string setting) => ConfigurationPath.Combine(nameof(PluginHostOptions.AutoRollback), setting);

    public static void Bind(IConfiguration section, HotswapHostingOptions options, HotswapConfiguration source, List<string>? errors)
        => Read(section, nameof(HotswapHostingOptions.AllowStartWithoutPlugins), ReadBool, v => options.AllowStartWithoutPlugins = v, source, errors);

    private static void Read<T>(IConfiguration section, string name, Func<string, (bool Ok, T Value, string Expected)> parse, Action<T> set, HotswapConfiguration source, List<string>? errors)
    {
        if (section[name] is not { } text)
        {
            return;
        }

        (bool ok, T value, string expected) = parse(text);
        if (ok)
        {
            set(value);
        }
        else
        {
            errors?.Add(SR.SettingUnreadable(source.Key(name), text, expected));
        }
    }

    /// <summary>The PEM text itself, or the content of the file it names; <see langword="null"/> when that file cannot be read.</summary>
    private static string? ReadTrustedKey(string text)
    {
        if (text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            return text;
        }

        try
        {
            return File.ReadAllText(text.Trim());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    private static (bool, bool, string) ReadBool(string text)
        => (bool.TryParse(text.Trim(), out bool value), value, SR.ExpectedBool);

    private static (bool, int, string) ReadInt(string text)
        => (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value), value, SR.ExpectedInt);

    private static (bool, double, string) ReadDouble(string text)
        => (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value), value, SR.ExpectedNumber);

    private static (bool, TimeSpan, string) ReadTimeSpan(string text)
        => (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan value), value, SR.ExpectedTimeSpan);

    private static (bool, WatchMode, string) ReadWatchMode(string text)
    {
        // Names only: Enum.TryParse also takes any number, which names no mode.
        bool ok = Enum.TryParse(text.Trim(), ignoreCase: true, out WatchMode value) && Enum.IsDefined(value) && !char.IsAsciiDigit(text.Trim()[0]) && text.Trim()[0] != '-';
        return (ok, value, SR.ExpectedWatchMode);
    }
}
