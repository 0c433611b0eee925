using Hotswap;

[assembly: HotswapPlugin(typeof(LibUser.LibUserPlugin))]

namespace LibUser;

public sealed class LibUserPlugin : Plugin
{
    public override object? Invoke(string name, params object?[] args) => name switch
    {
#if VERSIONEDLIB_V2
        "describe" => VersionedLib.Info.Describe() + ", " + VersionedLib.Info.OnlyInTwo(),
#else
        "describe" => VersionedLib.Info.Describe(),
#endif
        "libraryContext" => VersionedLib.Info.Context(),
        _ => null,
    };
}
