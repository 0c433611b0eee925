using Hotswap;

namespace Nested.Contract;

/// <summary>What each sub-plugin exports to the outer plugin's host.</summary>
[PluginContract]
public interface ISayHello
{
    string Hello(string name);
}
