using System.Runtime.CompilerServices;
using Hotswap;
using TestContracts;

[assembly: HotswapPlugin(typeof(Greeter.GreeterPlugin))]

namespace Greeter;

/// <summary>
/// Records every lifecycle step to the test's probe session as "name:Step", throws in the step
/// named by the setting "name.throwIn", blocks synchronously in the step named by "name.blockIn"
/// (on the gate "name:Step"), and answers calls with its build's version tag.
/// </summary>
public sealed class GreeterPlugin : Plugin
{
#if GREETER_V2
    public const string Tag = "v2";
#else
    public const string Tag = "v1";
#endif

    private readonly PluginLocation _where;
    private readonly string _instance = Guid.NewGuid().ToString("N");
    private int _count;

    public GreeterPlugin()
    {
        _where = Probe.Locate(typeof(GreeterPlugin).Assembly);
        Step("Construct");
    }

    public override bool Reloadable
    {
        get
        {
            Step("Reloadable");
            return _where.Setting("reloadable") != "false";
        }
    }

    public override object? Export()
    {
        Step("Export");
        return new GreeterService(_where);
    }

    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        Step("OnLoad");
        if (context.Data is DisposalProbe probe)
        {
            context.RegisterForDispose(probe.Create(context.PluginName));
        }

        if (context.Data is string data && data.StartsWith("data:", StringComparison.Ordinal))
        {
            _where.Record("Data(" + data + ")");
        }

        if (_where.Setting("leakSelf") == "true")
        {
            // The leak: a host-side reference to the plugin that nobody removes.
            _where.Session.Keep(this);
        }

        if (_where.Setting("subscribeTick") == "true")
        {
            // The cure for a host event subscription: hand its removal to the host.
            HostEvents.Tick += OnTick;
            context.RegisterForDispose(new Unsubscribe(this));
        }

        return Task.CompletedTask;
    }

    public override Task OnInitAsync(Vault vault, CancellationToken cancellationToken)
    {
        Step("OnInit");
        if (vault.TryGetExtension(out VaultExtension? extension))
        {
            extension.Register(_where.PluginName, $"{Tag}#{vault.Generation}");
        }

        if (_where.Setting("keepVault") == "true")
        {
            _where.Session.Keep(vault); // what a plugin should not do: the test looks at the vault later
        }

        if (_where.Setting("countInits") == "true")
        {
            vault.DataBag.GetOrAdd("inits", () => new StrongBox<int>()).Value++;
        }

        return Task.CompletedTask;
    }

    public override Task WarmUpAsync(CancellationToken cancellationToken)
    {
        Step("WarmUp");
        return Task.CompletedTask;
    }

    public override Task<PluginHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        Step("CheckHealth");
        return Task.FromResult(_where.Setting("unhealthy") is { } reason ? PluginHealth.Unhealthy(reason) : PluginHealth.Healthy);
    }

    public override LiveData? SaveState()
    {
        Step("SaveState");
        return LiveData.Create(new CounterState { Count = Volatile.Read(ref _count), SavedBy = Tag });
    }

    public override void RestoreState(LiveData state, string fromVersion)
    {
        Step("RestoreState");
        CounterState restored = state.To<CounterState>()!;
        _count = restored.Count;
        _where.Record($"RestoredFrom({fromVersion}):{restored.SavedBy}->{Tag}:{restored.Count}");
    }

    public override async Task OnFreeAsync(CancellationToken cancellationToken)
    {
        Step("OnFree");
        await Task.Yield();
    }

    public override object? Invoke(string name, params object?[] args) => name switch
    {
        "greet" => $"{Tag}:hello {args[0]}",
        "tag" => Tag,
        "increment" => Interlocked.Increment(ref _count),
        "count" => Volatile.Read(ref _count),
        "incrementAfter" => IncrementAfter(args),
        "instance" => _instance,
        "record" => Record(args),
        "fail" => throw new InvalidOperationException($"{_where.PluginName} fails on purpose"),
        "failIfTag" => (string?)args[0] == Tag ? throw new InvalidOperationException($"{Tag} fails on purpose") : Tag,
        "block" => Block(args),
        "blockAsync" => BlockAsync(args),
        "failAsync" => FailAsync(),
        _ => null,
    };

    private string Record(object?[] args)
    {
        _where.Record($"Invoke({args[0]})");
        if (_where.Setting("failRecord") == "true")
        {
            throw new InvalidOperationException($"{_where.PluginName} fails to record on purpose");
        }

        return Tag;
    }

    private async Task<int> IncrementAfter(object?[] args)
    {
        ProbeGate gate = _where.Session.Gate((string)args[0]!);
        gate.Enter();
        await gate.Released.ConfigureAwait(false);
        return Interlocked.Increment(ref _count);
    }

    private string Block(object?[] args)
    {
        ProbeGate gate = _where.Session.Gate((string)args[0]!);
        gate.Enter();
        gate.Released.Wait();
        _where.Record("Unblocked");
        return $"{Tag}:unblocked";
    }

    private async Task<string> BlockAsync(object?[] args)
    {
        ProbeGate gate = _where.Session.Gate((string)args[0]!);
        gate.Enter();
        await gate.Released.ConfigureAwait(false);
        await Task.Yield();
        _where.Record("Resumed");
        return $"{Tag}:resumed";
    }

    private async Task<string> FailAsync()
    {
        await Task.Yield();
        throw new InvalidOperationException($"{_where.PluginName} fails asynchronously on purpose");
    }

    private void Step(string step)
    {
        _where.Record(step);
        if (_where.Setting("blockIn") == step)
        {
            ProbeGate gate = _where.Session.Gate($"{_where.PluginName}:{step}");
            gate.Enter();
            gate.Released.Wait();
        }

        if (_where.Setting("throwIn") == step)
        {
            throw new InvalidOperationException($"{_where.PluginName} throws in {step} on purpose");
        }
    }

    private void OnTick(object? sender, EventArgs e) => _where.Record("Tick");

    private sealed class Unsubscribe(GreeterPlugin plugin) : IDisposable
    {
        public void Dispose() => HostEvents.Tick -= plugin.OnTick;
    }

    /// <summary>The state handed from version to version; each build has its own copy of this type.</summary>
    public sealed class CounterState
    {
        public int Count { get; set; }

        public string SavedBy { get; set; } = "";
    }

    /// <summary>Greets; throws when the setting "name.failGreet" names this build's tag (a version broken at run time).</summary>
    private sealed class GreeterService(PluginLocation where) : IGreeter
    {
        public string Greet(string name) => where.Setting("failGreet") == Tag
            ? throw new InvalidOperationException($"{Tag} fails to greet on purpose")
            : $"{Tag}:hello {name}";

        public async Task<string> GreetAsync(string name)
        {
            await Task.Yield();
            if (name == "fail")
            {
                throw new InvalidOperationException($"{Tag} fails asynchronously on purpose");
            }

            return $"{Tag}:hello {name}";
        }
    }
}
