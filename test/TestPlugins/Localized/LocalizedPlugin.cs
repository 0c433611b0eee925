using System.Globalization;
using System.Resources;
using Hotswap;

[assembly: HotswapPlugin(typeof(Localized.LocalizedPlugin))]

namespace Localized;

public sealed class LocalizedPlugin : Plugin
{
    private static readonly ResourceManager s_strings = new("Localized.Strings", typeof(LocalizedPlugin).Assembly);

    public override object? Invoke(string name, params object?[] args)
        => name == "greeting" ? s_strings.GetString("Greeting", CultureInfo.GetCultureInfo((string)args[0]!)) : null;
}
