namespace Hotswap.Generators;

/// <summary>
/// A validated <c>[PluginContract]</c> interface, as the emitter needs it: every name and type is
/// already written as C# (fully qualified, keywords escaped), so emitting needs no semantic model.
/// </summary>
/// <param name="Name">The contract's fully qualified name (<c>global::N.IX</c>).</param>
/// <param name="ProxyName">The proxy's type name in <c>Hotswap.Generated</c>.</param>
/// <param name="Members">The members to forward, in declaration order: the contract's own, then its base interfaces'.</param>
internal sealed record ContractModel(string Name, string ProxyName, EquatableArray<MemberModel> Members);
