using Hotswap;

[assembly: HotswapPlugin(typeof(WrongEntryType.NotAPlugin))]

namespace WrongEntryType;

public sealed class NotAPlugin
{
}
