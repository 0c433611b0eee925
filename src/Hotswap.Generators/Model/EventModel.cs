namespace Hotswap.Generators;

/// <summary>An event to forward: its handlers are kept by the proxy and follow every reload.</summary>
/// <param name="Face">The declaring interface.</param>
/// <param name="OnContract">Whether the declaring interface is the contract.</param>
/// <param name="Name">The event's name, escaped.</param>
/// <param name="Type">The event's delegate type as declared (nullable annotation included).</param>
/// <param name="HandlerType">The delegate type without its nullable annotation, as the handler tracker's type argument.</param>
internal sealed record EventModel(string Face, bool OnContract, string Name, string Type, string HandlerType) : MemberModel(Face, OnContract);
