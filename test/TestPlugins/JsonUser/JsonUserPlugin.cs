using System.Text.Json;
using Hotswap;

[assembly: HotswapPlugin(typeof(JsonUser.JsonUserPlugin))]

namespace JsonUser;

public sealed class JsonUserPlugin : Plugin
{
    public override object? Invoke(string name, params object?[] args)
    {
        if (name != "roundtrip")
        {
            return null;
        }

        string json = JsonSerializer.Serialize(new Order((string)args[0]!, 3, [new Line("tea", 2)]));
        Order back = JsonSerializer.Deserialize<Order>(json)!;
        return $"{back.Customer}:{back.Quantity}:{back.Lines[0].Item}:{json.Length}";
    }

    public sealed record Order(string Customer, int Quantity, List<Line> Lines);

    public sealed record Line(string Item, int Count);
}
