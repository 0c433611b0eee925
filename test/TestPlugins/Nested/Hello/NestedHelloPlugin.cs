using Hotswap;
using Nested.Contract;

[assembly: HotswapPlugin(typeof(Nested.Hello.NestedHelloPlugin))]

namespace Nested.Hello;

public sealed class NestedHelloPlugin : Plugin
{
#if NESTED_HELLO_A2
    private const string Mark = "a2";
#elif NESTED_HELLO_B
    private const string Mark = "b";
#else
    private const string Mark = "a1";
#endif

    public override object? Export() => new Greeting();

    private sealed class Greeting : ISayHello
    {
        public string Hello(string name) => $"{Mark}:hello {name}";
    }
}
