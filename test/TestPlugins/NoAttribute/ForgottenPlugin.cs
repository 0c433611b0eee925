using Hotswap;

namespace NoAttribute;

public sealed class ForgottenPlugin : Plugin
{
}
