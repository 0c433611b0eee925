using Hotswap.Tests.Fleet.Support;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Fleet;

/// <summary><c>hotswap fleet</c> as a real process against the shared etcd cluster.</summary>
[Collection(EtcdCollection.Name)]
public sealed class FleetCliTests : IDisposable
{
    private readonly EtcdClusterFixture _etcd;
    private readonly TestRoot _builds = new();
    private readonly string _fleet = "t" + Guid.NewGuid().ToString("N")[..12];

    public FleetCliTests(EtcdClusterFixture etcd) => _etcd = etcd;

    public void Dispose() => _builds.Dispose();

    [Fact]
    public async Task PackStartStatusAbort_ThroughTheCli_EachAnswersInJson()
    {
        PublishResult built = await _builds.PublishAsync(Fixtures.GreeterV2, "alpha");
        string zip = Path.Combine(_builds.Scratch, "alpha.zip");
        string endpoints = _etcd.Cluster.Endpoints;

        CliResult pack = await CliRunner.RunAsync("fleet", "pack", built.VersionDirectory, zip, "--json");
        Assert.True(pack.ExitCode == 0, pack.ToString());
        Assert.Equal(FleetArtifacts.ComputeDigest(built.VersionDirectory), (string)pack.Json["digest"]!);
        Assert.Equal(built.Version, (string)pack.Json["version"]!);

        CliResult refused = await CliRunner.RunAsync("fleet", "rollout", "start", _fleet, "alpha", built.VersionDirectory, "--artifact", new Uri(zip).AbsoluteUri, "--detach", "--endpoints", endpoints);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("has no stable version", refused.Stderr, StringComparison.Ordinal);
        PublishResult serving = await _builds.PublishAsync(Fixtures.GreeterV1, "alpha");
        CliResult seeded = await CliRunner.RunAsync("fleet", "stable", "set", _fleet, "alpha", serving.VersionDirectory, "--artifact", new Uri(zip).AbsoluteUri, "--endpoints", endpoints, "--json");
        Assert.True(seeded.ExitCode == 0, seeded.ToString());
        Assert.Equal(serving.Version, (string)seeded.Json["plugins"]![0]!["stableVersion"]!);

        CliResult start = await CliRunner.RunAsync("fleet", "rollout", "start", _fleet, "alpha", built.VersionDirectory, "--artifact", new Uri(zip).AbsoluteUri, "--waves", "1,50%", "--bake", "1h", "--detach", "--endpoints", endpoints, "--json");
        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Equal("running", (string)start.Json["plugins"]![0]!["rollout"]!["state"]!);
        Assert.Equal(["1", "50%", "100%"], start.Json["plugins"]![0]!["rollout"]!["waves"]!.AsArray().Select(static w => (string)w!));

        CliResult again = await CliRunner.RunAsync("fleet", "rollout", "start", _fleet, "alpha", built.VersionDirectory, "--artifact", new Uri(zip).AbsoluteUri, "--detach", "--endpoints", endpoints);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("is running: abort it or let it complete before starting another.", again.Stderr, StringComparison.Ordinal);

        CliResult duringRollout = await CliRunner.RunAsync("fleet", "stable", "set", _fleet, "alpha", serving.VersionDirectory, "--artifact", new Uri(zip).AbsoluteUri, "--endpoints", endpoints);
        Assert.Equal(1, duringRollout.ExitCode);
        Assert.Contains("abort it before setting the stable version", duringRollout.Stderr, StringComparison.Ordinal);

        CliResult abort = await CliRunner.RunAsync("fleet", "rollout", "abort", _fleet, "alpha", "--reason", "bad build", "--endpoints", endpoints, "--json");
        Assert.True(abort.ExitCode == 0, abort.ToString());

        CliResult status = await CliRunner.RunAsync("fleet", "status", _fleet, "--endpoints", endpoints, "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Equal("aborted", (string)status.Json["plugins"]![0]!["rollout"]!["state"]!);
        Assert.Equal("bad build", (string)status.Json["plugins"]![0]!["rollout"]!["reason"]!);
        Assert.Equal(built.Version, (string)status.Json["plugins"]![0]!["rollout"]!["version"]!);
        CliResult text = await CliRunner.RunAsync("fleet", "status", _fleet, "--endpoints", endpoints);
        Assert.Contains($"rollout {(string)status.Json["plugins"]![0]!["rollout"]!["id"]!} to {built.Version}: aborted", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadArguments_AreUsageErrors_NamingTheOption()
    {
        CliResult bake = await CliRunner.RunAsync("fleet", "rollout", "start", _fleet, "alpha", "someversion", "--digest", new string('a', 64), "--artifact", "file:///nowhere.zip", "--bake", "soon", "--endpoints", _etcd.Cluster.Endpoints);
        Assert.Equal(2, bake.ExitCode);
        Assert.Contains("'soon' is not a duration for --bake", bake.Stderr, StringComparison.Ordinal);

        CliResult noDigest = await CliRunner.RunAsync("fleet", "rollout", "start", _fleet, "alpha", "someversion", "--artifact", "file:///nowhere.zip", "--endpoints", _etcd.Cluster.Endpoints);
        Assert.Equal(2, noDigest.ExitCode);
        Assert.Contains("give the version's folder, or its name with --digest", noDigest.Stderr, StringComparison.Ordinal);
    }
}
