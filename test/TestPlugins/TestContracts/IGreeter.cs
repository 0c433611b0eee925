namespace TestContracts;

/// <summary>What the Greeter fixture exports.</summary>
[Hotswap.PluginContract]
public interface IGreeter
{
    string Greet(string name);

    Task<string> GreetAsync(string name);
}
