using Hotswap;

[assembly: HotswapPlugin(typeof(LibUser.LibUserPlugin))]

namespace LibUser;

public sealed class LibUserPlugin : Plugin
{
    public override object? Invoke(string name, params object?[] args)
        => name == "describe" ? VersionedLib.Info.Describe() : null;
}
