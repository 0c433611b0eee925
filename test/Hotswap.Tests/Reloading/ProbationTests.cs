using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Reloading;

/// <summary>
/// After a switch the previous generation is kept on probation: a rollback switches back to it in
/// one step, by hand or when the new version's calls fail; otherwise it retires when the period ends.
/// </summary>
public sealed class ProbationTests : IDisposable
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_longProbation = TimeSpan.FromHours(1);
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task RollbackAsync_UnderCallsFromSeveralThreads_SwitchesBackWithZeroFailedCallsStateBackAndTheNewVersionCollected()
    {
        string v1 = (await _root.PublishAsync(Fixtures.GreeterV1, "alpha")).Version;
        await using PluginHost host = _root.CreateHost(o => o.Probation = s_longProbation);
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        string v2 = (await _root.PublishAsync(Fixtures.GreeterV2, "alpha")).Version;
        (await host.ReloadAsync()).EnsureSuccess();
        for (int i = 0; i < 5; i++)
        {
            host.Invoke("alpha", "increment"); // state written by v2
        }

        IGreeter greeter = host.GetProxy<IGreeter>("alpha");
        RolledBackEventArgs? raised = null;
        host.RolledBack += (_, e) => raised = e;
        ReloadResult rollback;
        await using (CallLoop calls = CallLoop.Start(() => greeter.Greet("you"), threads: 3))
        {
            await calls.Started.WaitAsync(s_guard);
            rollback = await host.RollbackAsync();
            Assert.Equal("v1:hello you", greeter.Greet("you"));
            await calls.StopAsync();

            Assert.True(calls.Failures == 0, calls.FirstErrors);
            Assert.Subset(new HashSet<string>(["v1:hello you", "v2:hello you"]), calls.Answers.ToHashSet()); // every call saw one version
        }

        Assert.True(rollback.Succeeded);
        Assert.True(rollback.RolledBack);
        Assert.Equal("requested by RollbackAsync", rollback.RollbackReason);
        Assert.Equal(1, rollback.Generation);
        Assert.Equal(1, host.GenerationNumber);
        PluginOutcome alpha = Assert.Single(rollback.Plugins);
        Assert.Equal((ReloadOutcome.RolledBack, v1, v2), (alpha.Outcome, alpha.Version, alpha.PreviousVersion));
        Assert.NotNull(raised);
        Assert.False(raised.IsAutomatic);
        Assert.Same(rollback, raised.Result);

        // The state v2 wrote reached v1, which was told it comes from the newer version.
        Assert.Contains($"alpha:RestoredFrom({v2}):v2->v1:5", _root.Events);
        Assert.Equal(5, host.Invoke("alpha", "count"));

        // Nothing was loaded to roll back; the version rolled back drained, was freed and collected.
        Assert.Equal(2, _root.Events.Count(static e => e == "alpha:Construct"));
        UnloadedEventArgs unloaded = await observer.WhenUnloaded("alpha", v2).WaitAsync(s_guard);
        Assert.Equal(new PluginVersionInfo("alpha", v2), unloaded.Version);
        Assert.DoesNotContain(observer.Unloading, e => e.Version.Version == v1);
    }

    [Fact]
    public async Task RollbackAsync_ThenAReload_DoesNotLoadTheRolledBackVersionAgainUntilAnotherIsPublished()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o => o.Probation = s_longProbation);
        (await host.LoadAsync()).EnsureSuccess();
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        ReloadResult v2 = (await host.ReloadAsync()).EnsureSuccess();
        (await host.RollbackAsync()).EnsureSuccess();

        ReloadResult again = await host.ReloadAsync();

        Assert.True(again.Succeeded);
        Assert.False(again.Published);
        Assert.Equal(ReloadOutcome.RolledBack, again.Find("alpha")!.Outcome);
        Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));

        string v3 = (await _root.PublishAsync(Fixtures.GreeterV2, "alpha")).Version;
        ReloadResult fixedOne = (await host.ReloadAsync()).EnsureSuccess();
        Assert.Equal((ReloadOutcome.Loaded, v3), (fixedOne.Find("alpha")!.Outcome, fixedOne.Find("alpha")!.Version));
        Assert.Equal(v2.Generation + 1, fixedOne.Generation); // numbers are never reused after a rollback
        Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
    }

    [Fact]
    public async Task Reload_WhenCurrentIsFlippedBackToTheKeptVersion_SwitchesBackWithoutLoadingIt()
    {
        string v1 = (await _root.PublishAsync(Fixtures.GreeterV1, "alpha")).Version;
        await using PluginHost host = _root.CreateHost(o => o.Probation = s_longProbation);
        (await host.LoadAsync()).EnsureSuccess();
        string v2 = (await _root.PublishAsync(Fixtures.GreeterV2, "alpha")).Version;
        (await host.ReloadAsync()).EnsureSuccess();

        PluginPublisher.Activate(_root.PluginsRoot, "alpha", v1);
        ReloadResult back = (await host.ReloadAsync()).EnsureSuccess();

        Assert.True(back.RolledBack);
        Assert.Equal("the published versions are the ones kept on probation", back.RollbackReason);
        Assert.Equal(1, back.Generation);
        Assert.Equal(2, _root.Events.Count(static e => e == "alpha:Construct"));
        Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
        host.WriteStatusNow(); // the switch back queued its status write: the file as it will be
        Assert.Empty(Assert.Single(HostStatusReader.ReadLiveHosts(_root.PluginsRoot)).Loading);

        // What is on disk named the older version: the newer one is not refused when it is activated again.
        PluginPublisher.Activate(_root.PluginsRoot, "alpha", v2);
        ReloadResult again = (await host.ReloadAsync()).EnsureSuccess();
        Assert.Equal((ReloadOutcome.Loaded, v2), (again.Find("alpha")!.Outcome, again.Find("alpha")!.Version));
        Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
    }

    [Fact]
    public async Task RollbackAsync_RunsOffTheCallersExecutionContextAndAHandlerMayCallItAgain()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o => o.Probation = s_longProbation);
        (await host.LoadAsync()).EnsureSuccess();
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();
        var request = new AsyncLocal<string>();
        string? seenInHandler = "unset";
        ReloadResult? second = null;
        host.RolledBack += (_, _) =>
        {
            seenInHandler = request.Value;
            second = host.RollbackAsync().GetAwaiter().GetResult(); // blocking in a handler: the next rollback may run
        };
        request.Value = "the caller's request";

        (await host.RollbackAsync().WaitAsync(s_guard)).EnsureSuccess();

        Assert.Null(seenInHandler);
        Assert.Equal(ReloadPhase.Rollback, second!.Error!.Phase);
    }

    [Fact]
    public async Task RollbackAsync_WithoutProbation_FailsNamingThePhaseAndTheNewVersionKeepsServing()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();

        ReloadResult refused = await host.RollbackAsync();

        Assert.False(refused.Succeeded);
        Assert.False(refused.RolledBack);
        Assert.Equal(ReloadPhase.Rollback, refused.Error!.Phase);
        Assert.Equal(
            "there is nothing to roll back to: no previous generation is kept on probation (PluginHostOptions.Probation is off, the probation ended, or the last switch was already rolled back).",
            refused.Error.Reason);
        Assert.Equal(2, refused.Generation);
        Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
    }

    [Fact]
    public async Task Probation_WhenThePeriodEnds_ThePreviousGenerationRetiresAndNothingIsLeftToRollBack()
    {
        var clock = new ManualTimeProvider();
        string v1 = (await _root.PublishAsync(Fixtures.GreeterV1, "alpha")).Version;
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.Probation = TimeSpan.FromSeconds(30);
            o.TimeProvider = clock;
        });
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();

        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.DoesNotContain("alpha:OnFree", _root.Events); // still kept

        clock.Advance(TimeSpan.FromSeconds(1));
        await clock.AdvanceUntilAsync(observer.WhenUnloaded("alpha", v1), TimeSpan.FromMilliseconds(100)).WaitAsync(s_guard);

        Assert.Equal(ReloadPhase.Rollback, (await host.RollbackAsync()).Error!.Phase);
        Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
    }

    [Fact]
    public async Task AutoRollback_NewVersionsProxyCallsThrow_RollsBackOnceTheThresholdIsReached()
    {
        string v1 = (await _root.PublishAsync(Fixtures.GreeterV1, "alpha")).Version;
        _root.Probe.Set("alpha.failGreet", "v2");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.Probation = s_longProbation;
            o.AutoRollback = new AutoRollbackOptions { FailureRate = 0.5, MinimumCalls = 10 };
        });
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        IGreeter greeter = host.GetProxy<IGreeter>("alpha");
        Assert.Equal("v1:hello you", greeter.Greet("you")); // the proxy cached generation 1
        string v2 = (await _root.PublishAsync(Fixtures.GreeterV2, "alpha")).Version;
        (await host.ReloadAsync()).EnsureSuccess();
        var rolledBack = new TaskCompletionSource<RolledBackEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.RolledBack += (_, e) => rolledBack.TrySetResult(e);

        for (int i = 0; i < 9; i++)
        {
            Assert.Throws<InvalidOperationException>(() => greeter.Greet("you"));
        }

        Assert.False(rolledBack.Task.IsCompleted); // 9 calls: under the minimum
        Assert.Throws<InvalidOperationException>(() => greeter.Greet("you"));
        RolledBackEventArgs args = await rolledBack.Task.WaitAsync(s_guard);

        Assert.True(args.IsAutomatic);
        Assert.Equal($"alpha@{v2} failed 10 of its 10 calls during probation, at least AutoRollback.FailureRate (0.5).", args.Result.RollbackReason);
        Assert.Equal((ReloadOutcome.RolledBack, v1), (args.Result.Find("alpha")!.Outcome, args.Result.Find("alpha")!.Version));
        Assert.Equal("v1:hello you", greeter.Greet("you"));
        await observer.WhenUnloaded("alpha", v2).WaitAsync(s_guard);
    }

    [Fact]
    public async Task AutoRollback_InvokeCallsFailUnderTheRate_AreCommittedAfterProbation()
    {
        var clock = new ManualTimeProvider();
        string v1 = (await _root.PublishAsync(Fixtures.GreeterV1, "alpha")).Version;
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.Probation = TimeSpan.FromMinutes(5);
            o.AutoRollback = new AutoRollbackOptions { FailureRate = 0.5, MinimumCalls = 4 };
            o.TimeProvider = clock;
        });
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();
        int rollbacks = 0;
        host.RolledBack += (_, _) => Interlocked.Increment(ref rollbacks);

        // 12 calls, every third failing: a third stays under the rate at every failure.
        for (int i = 0; i < 12; i++)
        {
            if (i % 3 == 2)
            {
                Assert.Throws<InvalidOperationException>(() => host.Invoke("alpha", "failIfTag", "v2"));
            }
            else
            {
                Assert.Equal("v2", host.Invoke<IGreeter, string, string>("alpha", static (g, n) => g.Greet(n), "you")[..2]);
            }
        }

        clock.Advance(TimeSpan.FromMinutes(5));
        await clock.AdvanceUntilAsync(observer.WhenUnloaded("alpha", v1), TimeSpan.FromMilliseconds(100)).WaitAsync(s_guard);

        Assert.Equal(0, Volatile.Read(ref rollbacks));
        Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
    }

    [Fact]
    public async Task AutoRollback_InvokeCallsThrow_RollsBack()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.Probation = s_longProbation;
            o.AutoRollback = new AutoRollbackOptions { FailureRate = 1, MinimumCalls = 3 };
        });
        (await host.LoadAsync()).EnsureSuccess();
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();
        var rolledBack = new TaskCompletionSource<RolledBackEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.RolledBack += (_, e) => rolledBack.TrySetResult(e);

        for (int i = 0; i < 3; i++)
        {
            Assert.Throws<InvalidOperationException>(() => host.Invoke("alpha", "failIfTag", "v2"));
        }

        Assert.True((await rolledBack.Task.WaitAsync(s_guard)).IsAutomatic);
        Assert.Equal("v1", host.Invoke("alpha", "failIfTag", "v2"));
    }

    [Fact]
    public async Task MaxDrainingVersions_AVersionAlsoKeptOnProbation_IsNotCountedAsDraining()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await _root.PublishAsync(Fixtures.GreeterV1, "beta");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.Probation = s_longProbation;
            o.MaxDrainingVersions = 1;
        });
        (await host.LoadAsync()).EnsureSuccess();
        using GenerationLease first = host.Acquire(); // holds generation 1 (alpha1, beta1) until the end
        await _root.PublishAsync(Fixtures.GreeterV2, "beta");
        (await host.ReloadAsync()).EnsureSuccess(); // 2: alpha1, beta2; 1 kept
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess(); // 3: alpha2, beta2; 1 retires (held), 2 kept (alpha1 is live in it)
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");

        ReloadResult fourth = await host.ReloadAsync(); // 2 retires: alpha1, the one version of alpha that would drain

        Assert.True(fourth.Succeeded, fourth.ToString());
        Assert.Equal(4, fourth.Generation);
        Assert.Equal(1, first.Generation.Number);
    }

    [Fact]
    public async Task MaxDrainingVersions_ALongCallHoldsARetiredVersion_TheReloadIsRefusedUntilItReturns()
    {
        string v1 = (await _root.PublishAsync(Fixtures.GreeterV1, "alpha")).Version;
        await using PluginHost host = _root.CreateHost(o => o.MaxDrainingVersions = 1);
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        ProbeGate gate = _root.Probe.Gate("long");
        Task<object?> longCall = Task.Factory.StartNew(() => host.Invoke("alpha", "block", "long"), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            await gate.Entered.WaitAsync(s_guard);
            await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
            (await host.ReloadAsync()).EnsureSuccess(); // v1 drains, one call in flight: within the bound
            string v3 = (await _root.PublishAsync(Fixtures.GreeterV1, "alpha")).Version;

            ReloadResult refused = await host.ReloadAsync();

            Assert.False(refused.Succeeded);
            Assert.Equal(("alpha", ReloadPhase.Discover), (refused.Error!.PluginName, refused.Error.Phase));
            Assert.Equal(
                $"the reload would retire one more version of 'alpha' while 1 retired version(s) of it are still draining ({v1} (1 call(s) in flight)), and PluginHostOptions.MaxDrainingVersions is 1. The reload is refused and no call is cancelled; reload again once those calls return.",
                refused.Error.Reason);
            Assert.Equal(_root.PluginDirectory("alpha"), refused.Error.FilePath);
            Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
            Assert.False(longCall.IsCompleted);

            gate.Release();
            Assert.Equal("v1:unblocked", await longCall.WaitAsync(s_guard)); // the call was never cancelled
            await observer.WhenUnloading("alpha", v1).WaitAsync(s_guard);

            ReloadResult accepted = (await host.ReloadAsync()).EnsureSuccess();
            Assert.Equal(v3, accepted.Find("alpha")!.Version);
            Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
        }
        finally
        {
            gate.Release();
        }
    }

    [Fact]
    public async Task ReloadDuringProbation_KeepsOnlyTheGenerationItReplaces()
    {
        string v1 = (await _root.PublishAsync(Fixtures.GreeterV1, "alpha")).Version;
        await using PluginHost host = _root.CreateHost(o => o.Probation = s_longProbation);
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        string v2 = (await _root.PublishAsync(Fixtures.GreeterV2, "alpha")).Version;
        (await host.ReloadAsync()).EnsureSuccess();
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();

        await observer.WhenUnloaded("alpha", v1).WaitAsync(s_guard); // the first kept generation retired at the second switch
        ReloadResult back = (await host.RollbackAsync()).EnsureSuccess();

        Assert.Equal(2, back.Generation);
        Assert.Equal(v2, back.Find("alpha")!.Version);
        Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
    }

    [Theory]
    [InlineData(0, 0.5, 10, "AutoRollback needs a positive Probation: a version can only be rolled back while the previous one is kept.")]
    [InlineData(10, 0, 10, "AutoRollback.FailureRate must be greater than 0 and at most 1.")]
    [InlineData(10, 1.5, 10, "AutoRollback.FailureRate must be greater than 0 and at most 1.")]
    [InlineData(10, 0.5, 0, "AutoRollback.MinimumCalls must be positive.")]
    public void Create_InvalidAutoRollback_NamesTheOption(int probationSeconds, double rate, int minimum, string message)
    {
        var options = new PluginHostOptions
        {
            PluginsRoot = _root.PluginsRoot,
            Probation = TimeSpan.FromSeconds(probationSeconds),
            AutoRollback = new AutoRollbackOptions { FailureRate = rate, MinimumCalls = minimum },
        };

        ArgumentException error = Assert.Throws<ArgumentException>(() => PluginHost.Create(options));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_ProbationLongerThanATimerWaits_IsRefused()
    {
        var options = new PluginHostOptions { PluginsRoot = _root.PluginsRoot, Probation = TimeSpan.FromDays(50) };

        ArgumentException error = Assert.Throws<ArgumentException>(() => PluginHost.Create(options));

        Assert.Contains("Probation must be at most 49.7 days (4294967294 ms), or Timeout.InfiniteTimeSpan to keep the previous generation until the next reload.", error.Message, StringComparison.Ordinal);
        _ = PluginHost.Create(new PluginHostOptions { PluginsRoot = _root.PluginsRoot, Probation = Timeout.InfiniteTimeSpan }); // starts nothing
    }

    [Fact]
    public void Create_MaxDrainingVersionsBelowOne_NamesTheOption()
    {
        var options = new PluginHostOptions { PluginsRoot = _root.PluginsRoot, MaxDrainingVersions = 0 };

        ArgumentException error = Assert.Throws<ArgumentException>(() => PluginHost.Create(options));

        Assert.Contains("MaxDrainingVersions must be positive.", error.Message, StringComparison.Ordinal);
    }
}
