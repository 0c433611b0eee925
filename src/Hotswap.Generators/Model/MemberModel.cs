namespace Hotswap.Generators;

/// <summary>One member a proxy forwards: a <see cref="MethodModel"/>, a <see cref="PropertyModel"/> or an <see cref="EventModel"/>.</summary>
/// <param name="Face">The fully qualified interface that declares the member, which its explicit implementation names.</param>
/// <param name="OnContract">Whether that interface is the contract itself, so the export needs no cast to reach the member.</param>
internal abstract record MemberModel(string Face, bool OnContract);
