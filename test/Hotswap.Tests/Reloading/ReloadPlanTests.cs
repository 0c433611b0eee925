namespace Hotswap.Tests.Reloading;

/// <summary>The plan of a reload is a pure function of what serves and what is on disk.</summary>
public sealed class ReloadPlanTests
{
    [Fact]
    public void Create_FirstLoad_LoadsEverythingInNameOrder()
    {
        ReloadPlan plan = ReloadPlan.Create([Disk("beta", "b1"), Disk("alpha", "a1")], serving: null);

        Assert.True(plan.HasWork);
        Assert.Equal(["alpha", "beta"], plan.ToLoad.Select(static s => s.Name));
        Assert.Empty(plan.Carried);
        Assert.Equal(["alpha: Loaded (a1)", "beta: Loaded (b1)"], plan.Outcomes().Select(static o => o.ToString()));
    }

    [Fact]
    public void Create_NothingChanged_HasNoWork()
    {
        ReloadPlan plan = ReloadPlan.Create([Disk("alpha", "a1")], [Serving("alpha", "a1")]);

        Assert.False(plan.HasWork);
        Assert.Equal(["alpha"], plan.Carried);
        Assert.Equal(ReloadOutcome.Unchanged, Assert.Single(plan.Plugins).Outcome);
    }

    [Fact]
    public void Create_ADependencyChanged_ReloadsItsDependentsTransitively()
    {
        ReloadPlan plan = ReloadPlan.Create(
            [Disk("alpha", "a2"), Disk("beta", "b1"), Disk("gamma", "g1"), Disk("solo", "s1")],
            [Serving("alpha", "a1"), Serving("beta", "b1", imports: ["alpha"]), Serving("gamma", "g1", imports: ["BETA"]), Serving("solo", "s1")]);

        Assert.Equal(["alpha", "beta", "gamma"], plan.ToLoad.Select(static s => s.Name));
        Assert.Equal(["solo"], plan.Carried);
        Assert.Equal([ReloadOutcome.Loaded, ReloadOutcome.Loaded, ReloadOutcome.Loaded, ReloadOutcome.Unchanged], plan.Plugins.Select(static p => p.Outcome));
    }

    [Fact]
    public void Create_NotReloadableOrRemoved_SaysSoAndKeepsThePreviousVersion()
    {
        ReloadPlan plan = ReloadPlan.Create(
            [Disk("pinned", "p2")],
            [Serving("pinned", "p1", reloadable: false), Serving("gone", "g1")]);

        Assert.True(plan.HasWork);
        Assert.Equal(["gone: Removed", "pinned: NotReloadable (p1)"], plan.Outcomes().Select(static o => o.ToString()));
        Assert.Equal(["gone: Failed (g1)", "pinned: NotReloadable (p1)"], plan.FailedOutcomes().Select(static o => o.ToString()));
        Assert.Empty(plan.ToLoad);
    }

    private static PluginSource Disk(string name, string version) => new(name, version, null, null);

    private static ServingPlugin Serving(string name, string version, bool reloadable = true, string[]? imports = null)
        => new(name, version, reloadable, IsStatic: false, imports ?? []);
}
