using Hotswap.Analyzers;

namespace Hotswap.Tests.Analyzers;

public sealed class ReleaseAnalyzerTests
{
    private const string Usings = """
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using System.Threading;
        using System.Threading.Tasks;
        using Hotswap;

        """;

    [Fact]
    public Task Timers_CreatedAndNeverDisposed_Report() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private Timer? _timer;
            private readonly System.Timers.Timer _elapsed = {|HSW1002:new System.Timers.Timer(1000)|};

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                {|HSW1002:new Timer(_ => { }, null, 0, 1000)|};
                _timer = {|HSW1002:new Timer(_ => { }, null, 0, 1000)|};
                var periodic = {|HSW1002:new PeriodicTimer(TimeSpan.FromSeconds(1))|};
                _ = {|HSW1002:TimeProvider.System.CreateTimer(_ => { }, null, TimeSpan.Zero, TimeSpan.FromSeconds(1))|};
                return Task.CompletedTask;
            }
        }
        """);

    [Fact]
    public Task Timers_DisposedRegisteredOrInAUsing_AreSilent() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private Timer? _timer;
            private ITimer? _clock;
            private readonly System.Timers.Timer _elapsed = new(1000);

            public override async Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                context.RegisterForDispose(new Timer(_ => { }, null, 0, 1000));
                _timer = new Timer(_ => { }, null, 0, 1000);
                var local = new Timer(_ => { }, null, 0, 1000);
                context.RegisterForDispose(local);
                _clock = TimeProvider.System.CreateTimer(_ => { }, null, TimeSpan.Zero, TimeSpan.FromSeconds(1));
                using var periodic = new PeriodicTimer(TimeSpan.FromSeconds(1));
                await periodic.WaitForNextTickAsync(cancellationToken);
            }

            public override async Task OnFreeAsync(CancellationToken cancellationToken)
            {
                _timer?.Dispose();
                _elapsed.Close();
                if (_clock is not null)
                {
                    await _clock.DisposeAsync();
                }
            }
        }
        """);

    [Fact]
    public Task Timer_DisposedInAPartialPartInAnotherFile_IsSilent() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed partial class SubjectPlugin : Plugin
        {
            private readonly Timer _timer = new(_ => { }, null, 0, 1000);
        }
        """, otherFile: Usings + """
        public sealed partial class SubjectPlugin
        {
            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                _timer.Dispose();
                return Task.CompletedTask;
            }
        }
        """);

    [Fact]
    public Task Timers_HandedToAMethodOrReturned_AreNotFollowed() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private readonly System.Collections.Generic.List<IDisposable> _owned = new();

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                var timer = new Timer(_ => { }, null, 0, 1000);
                _owned.Add(timer);
                _owned.Add(new PeriodicTimer(TimeSpan.FromSeconds(1)));
                return Task.CompletedTask;
            }

            public static Timer Create() => new(_ => { }, null, 0, 1000);
        }
        """);

    [Fact]
    public Task Threads_StartedAndNeverJoined_Report() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                {|HSW1003:new Thread(Run) { IsBackground = true }|}.Start();
                var worker = {|HSW1003:new Thread(Run)|};
                worker.Start();
                return Task.CompletedTask;
            }

            private static void Run() { }
        }
        """);

    [Fact]
    public Task Threads_JoinedOrNeverStarted_AreSilent() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private readonly CancellationTokenSource _stop = new();
            private Thread? _worker;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                var worker = new Thread(Run);
                _worker = worker;
                worker.Start();
                var idle = new Thread(Run);
                return Task.CompletedTask;
            }

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                _stop.Cancel();
                _worker?.Join();
                _stop.Dispose();
                return Task.CompletedTask;
            }

            private void Run() => _stop.Token.WaitHandle.WaitOne();
        }
        """);

    [Fact]
    public Task RegisteredWait_NeverUnregistered_Reports() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private readonly AutoResetEvent _signal = new(false);
            private RegisteredWaitHandle? _kept;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                {|HSW1004:ThreadPool.RegisterWaitForSingleObject(_signal, (_, _) => { }, null, -1, false)|};
                _kept = {|HSW1004:ThreadPool.RegisterWaitForSingleObject(_signal, (_, _) => { }, null, -1, false)|};
                return Task.CompletedTask;
            }
        }
        """);

    [Fact]
    public Task RegisteredWait_Unregistered_IsSilent() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private readonly AutoResetEvent _signal = new(false);
            private RegisteredWaitHandle? _wait;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                _wait = ThreadPool.RegisterWaitForSingleObject(_signal, (_, _) => { }, null, -1, false);
                return Task.CompletedTask;
            }

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                _wait?.Unregister(null);
                return Task.CompletedTask;
            }
        }
        """);

    [Fact]
    public Task GCHandle_StrongOrPinnedAndNeverFreed_Reports() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private readonly byte[] _buffer = new byte[16];
            private GCHandle _self;
            private GCHandle _pinned;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                _self = {|HSW1005:GCHandle.Alloc(this)|};
                _pinned = {|HSW1005:GCHandle.Alloc(_buffer, GCHandleType.Pinned)|};
                {|HSW1005:GCHandle.Alloc(this, GCHandleType.Normal)|};
                return Task.CompletedTask;
            }
        }
        """);

    [Fact]
    public Task GCHandle_FreedOrWeak_IsSilent() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private GCHandle _self;
            private GCHandle _weak;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                _self = GCHandle.Alloc(this);
                _weak = GCHandle.Alloc(this, GCHandleType.Weak);
                return Task.CompletedTask;
            }

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                _self.Free();
                return Task.CompletedTask;
            }
        }
        """);

    [Fact]
    public Task TypedGCHandle_StrongOrPinnedAndNeverDisposed_Reports() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private readonly byte[] _buffer = new byte[16];
            private readonly GCHandle<object> _initialized = {|HSW1005:new(new object())|};
            private GCHandle<SubjectPlugin> _self;
            private PinnedGCHandle<byte[]> _pinned;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                _self = {|HSW1005:new GCHandle<SubjectPlugin>(this)|};
                _pinned = {|HSW1005:new PinnedGCHandle<byte[]>(_buffer)|};
                var local = {|HSW1005:new GCHandle<SubjectPlugin>(this)|};
                _ = {|HSW1005:new PinnedGCHandle<byte[]>(_buffer)|};
                return Task.CompletedTask;
            }
        }
        """);

    [Fact]
    public Task TypedGCHandle_DisposedRegisteredOrWeak_IsSilent() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private readonly byte[] _buffer = new byte[16];
            private GCHandle<SubjectPlugin> _self;
            private PinnedGCHandle<byte[]> _pinned;
            private WeakGCHandle<SubjectPlugin> _weak;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                _self = new GCHandle<SubjectPlugin>(this);
                var pinned = new PinnedGCHandle<byte[]>(_buffer);
                _pinned = pinned;
                context.RegisterForDispose(new GCHandle<object>(new object()));
                using var scoped = new PinnedGCHandle<byte[]>(_buffer);
                _weak = new WeakGCHandle<SubjectPlugin>(this);
                _ = new WeakGCHandle<SubjectPlugin>(this, trackResurrection: true);
                return Task.CompletedTask;
            }

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                _self.Dispose();
                _pinned.Dispose();
                return Task.CompletedTask;
            }
        }
        """);

    [Fact]
    public Task TypeDescriptor_ProviderNeverRemoved_Reports() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class Shape { }

        public sealed class SubjectPlugin : Plugin
        {
            private readonly TypeDescriptionProvider _provider = new Provider();

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                {|HSW1006:TypeDescriptor.AddProvider(new Provider(), typeof(Shape))|};
                {|HSW1006:TypeDescriptor.AddProvider(_provider, typeof(Shape))|};
                {|HSW1006:TypeDescriptor.AddAttributes(typeof(Shape), new DescriptionAttribute("a shape"))|};
                return Task.CompletedTask;
            }

            private sealed class Provider : TypeDescriptionProvider { }
        }
        """);

    [Fact]
    public Task TypeDescriptor_ProviderRemoved_IsSilent() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class Shape { }

        public sealed class SubjectPlugin : Plugin
        {
            private readonly TypeDescriptionProvider _provider = new Provider();
            private TypeDescriptionProvider? _attributes;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                TypeDescriptor.AddProvider(_provider, typeof(Shape));
                _attributes = TypeDescriptor.AddAttributes(typeof(Shape), new DescriptionAttribute("a shape"));
                return Task.CompletedTask;
            }

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                TypeDescriptor.RemoveProvider(_provider, typeof(Shape));
                TypeDescriptor.RemoveProvider(_attributes!, typeof(Shape));
                return Task.CompletedTask;
            }

            private sealed class Provider : TypeDescriptionProvider { }
        }
        """);

    [Fact]
    public Task TokenRegistration_OnAHostTokenNeverDisposed_Reports() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private CancellationToken _stopping;
            private CancellationTokenRegistration _kept;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                _stopping = cancellationToken;
                {|HSW1007:cancellationToken.Register(() => { })|};
                _kept = {|HSW1007:_stopping.Register(() => { })|};
                return Task.CompletedTask;
            }
        }
        """);

    [Fact]
    public Task TokenRegistration_DisposedOrOnTheOwnSource_IsSilent() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private readonly CancellationTokenSource _own = new();
            private CancellationTokenRegistration _registration;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                context.RegisterForDispose(cancellationToken.Register(() => { }));
                _registration = cancellationToken.Register(() => { });
                using var scoped = cancellationToken.Register(() => { });
                _own.Token.Register(() => { });
                var token = _own.Token;
                token.Register(() => { });
                CancellationToken.None.Register(() => { });
                return Task.CompletedTask;
            }

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                _registration.Dispose();
                _own.Dispose();
                return Task.CompletedTask;
            }
        }
        """);

    [Fact]
    public Task LinkedTokenSource_OnAHostTokenNeverDisposed_Reports() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private readonly CancellationTokenSource _own = new();
            private CancellationToken _stopping;
            private CancellationTokenSource? _linked;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                _stopping = cancellationToken;
                _linked = {|HSW1007:CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)|};
                var local = {|HSW1007:CancellationTokenSource.CreateLinkedTokenSource(_own.Token, _stopping)|};
                local.Cancel();
                {|HSW1007:CancellationTokenSource.CreateLinkedTokenSource(_own.Token, CancellationToken.None, cancellationToken)|};
                _ = {|HSW1007:CancellationTokenSource.CreateLinkedTokenSource([_own.Token, _stopping])|};
                return Task.CompletedTask;
            }

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                _linked?.Cancel();
                _own.Dispose();
                return Task.CompletedTask;
            }
        }
        """);

    [Fact]
    public Task LinkedTokenSource_DisposedOrOnOwnTokens_IsSilent() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private readonly CancellationTokenSource _own = new();
            private CancellationTokenSource? _linked;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                _linked.Token.Register(() => { });
                context.RegisterForDispose(CancellationTokenSource.CreateLinkedTokenSource(cancellationToken));
                var kept = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _own.Token);
                context.RegisterForDispose(kept);
                using var scoped = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                using (var block = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    block.Cancel();
                }

                var own = CancellationTokenSource.CreateLinkedTokenSource(_own.Token);
                var token = _own.Token;
                _ = CancellationTokenSource.CreateLinkedTokenSource(token, CancellationToken.None, default);
                return Task.CompletedTask;
            }

            public override async Task OnFreeAsync(CancellationToken cancellationToken)
            {
                if (_linked is not null)
                {
                    await _linked.CancelAsync();
                    _linked.Dispose();
                }

                _own.Dispose();
            }
        }
        """);

    [Fact]
    public Task NotAPlugin_TimerNeverDisposed_IsSilent() => PluginAnalyzerTest.VerifyAsync<ReleaseAnalyzer>(Usings + """
        public sealed class HostSide
        {
            public void Start() => new Timer(_ => { }, null, 0, 1000);
        }
        """, plugin: false);
}
