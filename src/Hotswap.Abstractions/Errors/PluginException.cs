namespace Hotswap;

/// <summary>An error raised by or about one plugin.</summary>
public class PluginException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="PluginException"/> class.</summary>
    public PluginException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PluginException"/> class with a message.</summary>
    /// <param name="message">The message.</param>
    public PluginException(string? message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PluginException"/> class with a message and the exception that caused it.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public PluginException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PluginException"/> class for one plugin.</summary>
    /// <param name="pluginName">The plugin's name.</param>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public PluginException(string pluginName, string? message, Exception? innerException)
        : base(message, innerException)
    {
        PluginName = pluginName;
    }

    /// <summary>Gets the name of the plugin concerned, when known.</summary>
    public string? PluginName { get; }
}
