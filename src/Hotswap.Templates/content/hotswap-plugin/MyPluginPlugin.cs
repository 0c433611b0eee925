using Hotswap;
using MyContracts;

[assembly: HotswapPlugin(typeof(MyPlugin.MyPluginPlugin))]

namespace MyPlugin;

/// <summary>The plugin: exports its <see cref="IGreeter"/>, which the host calls through the generated proxy.</summary>
public sealed class MyPluginPlugin : Plugin
{
    /// <inheritdoc />
    public override object? Export() => new Greeter();

    private sealed class Greeter : IGreeter
    {
        // Change the answer, run 'hotswap build' again, and the running host prints the new one.
        public string Greet(string name) => $"hello {name}, from MyPlugin";
    }
}
