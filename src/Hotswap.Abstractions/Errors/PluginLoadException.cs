namespace Hotswap;

/// <summary>
/// A reload failed: names the plugin, the phase and, where one is concerned, the file.
/// The previous generation keeps serving.
/// </summary>
public sealed class PluginLoadException : PluginException
{
    /// <summary>Initializes a new instance of the <see cref="PluginLoadException"/> class.</summary>
    public PluginLoadException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PluginLoadException"/> class with a message.</summary>
    /// <param name="message">The message.</param>
    public PluginLoadException(string? message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PluginLoadException"/> class with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public PluginLoadException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PluginLoadException"/> class for one plugin, phase and file.</summary>
    /// <param name="pluginName">The plugin that failed.</param>
    /// <param name="phase">The reload phase that failed.</param>
    /// <param name="filePath">The file concerned, or <see langword="null"/> when no file is.</param>
    /// <param name="reason">What went wrong, as a sentence.</param>
    /// <param name="innerException">The cause.</param>
    public PluginLoadException(string pluginName, ReloadPhase phase, string? filePath, string reason, Exception? innerException = null)
        : base(pluginName, Format(pluginName, phase, filePath, reason), innerException)
    {
        Phase = phase;
        FilePath = filePath;
        Reason = reason;
    }

    /// <summary>Gets the reload phase that failed.</summary>
    public ReloadPhase Phase { get; }

    /// <summary>Gets the full path of the file concerned, or <see langword="null"/>.</summary>
    public string? FilePath { get; }

    /// <summary>Gets what went wrong, without the plugin, phase and file.</summary>
    public string? Reason { get; }

    private static string Format(string pluginName, ReloadPhase phase, string? filePath, string reason)
        => filePath is null
            ? $"Plugin '{pluginName}' failed in phase {phase}: {reason}"
            : $"Plugin '{pluginName}' failed in phase {phase}: {reason} (file: {filePath})";
}
