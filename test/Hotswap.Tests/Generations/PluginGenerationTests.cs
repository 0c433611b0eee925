namespace Hotswap.Tests.Generations;

/// <summary>The lease protocol on its own, without threads: what a racing caller would see.</summary>
public sealed class PluginGenerationTests
{
    [Fact]
    public void TryAcquire_AfterRetire_RefusesAndLeavesNoLease()
    {
        int drained = 0;
        PluginGeneration generation = Create(_ => drained++);

        Assert.True(generation.TryAcquire());
        generation.Retire();
        Assert.Equal(0, drained);

        // A caller that read the generation just before it retired backs off without a lease.
        Assert.False(generation.TryAcquire());
        Assert.Equal(1, generation.Leases);

        generation.Release();
        Assert.Equal(1, drained);
        Assert.False(generation.TryAcquire());
        Assert.Equal(0, generation.Leases);
        Assert.Equal(1, drained);
    }

    [Fact]
    public void Retire_WithNoLease_DrainsAtOnceAndOnlyOnce()
    {
        int drained = 0;
        PluginGeneration generation = Create(_ => drained++);

        generation.Retire();
        generation.Retire();

        Assert.Equal(1, drained);
        Assert.True(generation.IsDrained);
    }

    private static PluginGeneration Create(Action<PluginGeneration> onDrained)
        => new(1, new Vault(1, null, new DataBag(), new LiveFunctions([]), new LiveTypes([])), [], onDrained);
}
