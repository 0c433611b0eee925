namespace PricingContract;

/// <summary>What a pricing plugin exports: its surface uses VersionedLib's <see cref="VersionedLib.Note"/>.</summary>
public interface IPricing
{
    VersionedLib.Note Quote(string item);
}
