using Hotswap.Analyzers;

namespace Hotswap.Tests.Analyzers;

public sealed class PinCodeFixTests
{
    private const string Usings = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using Hotswap;
        using HostApp;

        """;

    [Fact]
    public Task HostEvent_NoOnFreeAsync_AddsOneThatUnsubscribes() => PluginAnalyzerTest.VerifyFixAsync<HostEventAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                {|HSW1001:HostEvents.Tick += OnTick|};
                return Task.CompletedTask;
            }

            private void OnTick(object? sender, EventArgs e) { }
        }
        """, Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                HostEvents.Tick += OnTick;
                return Task.CompletedTask;
            }

            private void OnTick(object? sender, EventArgs e) { }

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                HostEvents.Tick -= OnTick;
                return Task.CompletedTask;
            }
        }
        """, "HotswapOnFree");

    [Fact]
    public Task ProcessExit_ExistingOnFreeAsync_UnsubscribesFirstThere() => PluginAnalyzerTest.VerifyFixAsync<HostEventAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private int _frees;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                {|HSW1001:AppDomain.CurrentDomain.ProcessExit += OnExit|};
                return Task.CompletedTask;
            }

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                _frees++;
                return Task.CompletedTask;
            }

            private void OnExit(object? sender, EventArgs e) { }
        }
        """, Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private int _frees;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                AppDomain.CurrentDomain.ProcessExit += OnExit;
                return Task.CompletedTask;
            }

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                AppDomain.CurrentDomain.ProcessExit -= OnExit;
                _frees++;
                return Task.CompletedTask;
            }

            private void OnExit(object? sender, EventArgs e) { }
        }
        """, "HotswapOnFree");

    [Fact]
    public Task HostEvent_ExpressionBodiedOnFreeAsync_BecomesABlock() => PluginAnalyzerTest.VerifyFixAsync<HostEventAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                {|HSW1001:HostEvents.Tick += OnTick|};
                return Task.CompletedTask;
            }

            public override Task OnFreeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

            private void OnTick(object? sender, EventArgs e) { }
        }
        """, Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                HostEvents.Tick += OnTick;
                return Task.CompletedTask;
            }

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                HostEvents.Tick -= OnTick;
                return Task.CompletedTask;
            }

            private void OnTick(object? sender, EventArgs e) { }
        }
        """, "HotswapOnFree");

    [Fact]
    public Task DefaultLoadContextEvent_NoOnFreeAsync_AddsOneThatUnsubscribes() => PluginAnalyzerTest.VerifyFixAsync<HostEventAnalyzer>(Usings + """
        using System.Reflection;
        using System.Runtime.Loader;

        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                {|HSW1001:AssemblyLoadContext.Default.Resolving += OnResolving|};
                return Task.CompletedTask;
            }

            private Assembly? OnResolving(AssemblyLoadContext context, AssemblyName name) => null;
        }
        """, Usings + """
        using System.Reflection;
        using System.Runtime.Loader;

        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                AssemblyLoadContext.Default.Resolving += OnResolving;
                return Task.CompletedTask;
            }

            private Assembly? OnResolving(AssemblyLoadContext context, AssemblyName name) => null;

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                AssemblyLoadContext.Default.Resolving -= OnResolving;
                return Task.CompletedTask;
            }
        }
        """, "HotswapOnFree");

    [Fact]
    public Task CoreLibraryLoadContextEvent_ExistingOnFreeAsync_UnsubscribesFromTheSameContext() => PluginAnalyzerTest.VerifyFixAsync<HostEventAnalyzer>(Usings + """
        using System.Runtime.Loader;

        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                {|HSW1001:AssemblyLoadContext.GetLoadContext(typeof(object).Assembly)!.Unloading += OnUnloading|};
                return Task.CompletedTask;
            }

            public override Task OnFreeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

            private void OnUnloading(AssemblyLoadContext context) { }
        }
        """, Usings + """
        using System.Runtime.Loader;

        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                AssemblyLoadContext.GetLoadContext(typeof(object).Assembly)!.Unloading += OnUnloading;
                return Task.CompletedTask;
            }

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                AssemblyLoadContext.GetLoadContext(typeof(object).Assembly)!.Unloading -= OnUnloading;
                return Task.CompletedTask;
            }

            private void OnUnloading(AssemblyLoadContext context) { }
        }
        """, "HotswapOnFree");

    [Fact]
    public Task LinkedTokenSource_KeptInALocal_IsHandedToTheContext() => PluginAnalyzerTest.VerifyFixAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                var linked = {|HSW1007:CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)|};
                linked.CancelAfter(TimeSpan.FromSeconds(1));
                return Task.CompletedTask;
            }
        }
        """, Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                context.RegisterForDispose(linked);
                linked.CancelAfter(TimeSpan.FromSeconds(1));
                return Task.CompletedTask;
            }
        }
        """, "HotswapRegisterForDispose");

    [Fact]
    public Task LinkedTokenSource_KeptInAField_IsDisposedInOnFreeAsync() => PluginAnalyzerTest.VerifyFixAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private CancellationTokenSource? _linked;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                _linked = {|HSW1007:CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)|};
                return Task.CompletedTask;
            }
        }
        """, Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private CancellationTokenSource? _linked;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                return Task.CompletedTask;
            }

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                _linked?.Dispose();
                return Task.CompletedTask;
            }
        }
        """, "HotswapOnFree");

    [Fact]
    public Task Timer_Discarded_IsHandedToTheContext() => PluginAnalyzerTest.VerifyFixAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                {|HSW1002:new Timer(_ => { }, null, 0, 1000)|};
                return Task.CompletedTask;
            }
        }
        """, Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                context.RegisterForDispose(new Timer(_ => { }, null, 0, 1000));
                return Task.CompletedTask;
            }
        }
        """, "HotswapRegisterForDispose");

    [Fact]
    public Task Timer_KeptInAFieldAndALocal_AreHandedToTheContext() => PluginAnalyzerTest.VerifyFixAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private Timer? _timer;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                _timer = {|HSW1002:new Timer(_ => { }, null, 0, 1000)|};
                var periodic = {|HSW1002:new PeriodicTimer(TimeSpan.FromSeconds(1))|};
                return Task.CompletedTask;
            }
        }
        """, Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private Timer? _timer;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                _timer = new Timer(_ => { }, null, 0, 1000);
                context.RegisterForDispose(_timer);
                var periodic = new PeriodicTimer(TimeSpan.FromSeconds(1));
                context.RegisterForDispose(periodic);
                return Task.CompletedTask;
            }
        }
        """, "HotswapRegisterForDispose");

    [Fact]
    public Task Timer_FieldInitializerWithNoContext_IsDisposedInOnFreeAsync() => PluginAnalyzerTest.VerifyFixAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private readonly Timer _timer = {|HSW1002:new Timer(_ => { }, null, 0, 1000)|};
        }
        """, Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private readonly Timer _timer = new Timer(_ => { }, null, 0, 1000);

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                _timer.Dispose();
                return Task.CompletedTask;
            }
        }
        """, "HotswapOnFree");

    [Fact]
    public Task TokenRegistration_Discarded_IsHandedToTheContext() => PluginAnalyzerTest.VerifyFixAsync<ReleaseAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                {|HSW1007:cancellationToken.Register(() => { })|};
                return Task.CompletedTask;
            }
        }
        """, Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                context.RegisterForDispose(cancellationToken.Register(() => { }));
                return Task.CompletedTask;
            }
        }
        """, "HotswapRegisterForDispose");
}
