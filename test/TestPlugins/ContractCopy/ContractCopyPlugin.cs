using Hotswap;
using TestContracts;

[assembly: HotswapPlugin(typeof(ContractCopy.ContractCopyPlugin))]

namespace ContractCopy;

public sealed class ContractCopyPlugin : Plugin
{
    public override object? Export() => new Greeter();

    public override object? Invoke(string name, params object?[] args) => name switch
    {
        // Which context did the contract type come from, seen from inside the plugin?
        "contractContext" => System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(typeof(IGreeter).Assembly)?.Name,
        _ => null,
    };

    private sealed class Greeter : IGreeter
    {
        public string Greet(string name) => $"copy:hello {name}";

        public Task<string> GreetAsync(string name) => Task.FromResult(Greet(name));
    }
}
