using Hotswap.Analyzers;

namespace Hotswap.Tests.Analyzers;

public sealed class HostEventAnalyzerTests
{
    private const string Usings = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using Hotswap;
        using HostApp;

        """;

    [Fact]
    public Task HostStaticEvent_SubscribedAndNeverUnsubscribed_Reports() => PluginAnalyzerTest.VerifyAsync<HostEventAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                {|HSW1001:HostEvents.Tick += OnTick|};
                return Task.CompletedTask;
            }

            private void OnTick(object? sender, EventArgs e) { }
        }
        """);

    [Fact]
    public Task ProcessWideEvents_SubscribedAndNeverUnsubscribed_Report() => PluginAnalyzerTest.VerifyAsync<HostEventAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                {|HSW1001:AppDomain.CurrentDomain.ProcessExit += OnExit|};
                {|HSW1001:AppDomain.CurrentDomain.DomainUnload += OnExit|};
                {|HSW1001:AppDomain.CurrentDomain.UnhandledException += (_, _) => { }|};
                {|HSW1001:Console.CancelKeyPress += OnCancel|};
                return Task.CompletedTask;
            }

            private void OnExit(object? sender, EventArgs e) { }

            private void OnCancel(object? sender, ConsoleCancelEventArgs e) { }
        }
        """);

    [Fact]
    public Task HostLoadContextEvents_SubscribedAndNeverUnsubscribed_Report() => PluginAnalyzerTest.VerifyAsync<HostEventAnalyzer>(Usings + """
        using System.Reflection;
        using System.Runtime.Loader;

        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                {|HSW1001:AssemblyLoadContext.Default.Resolving += OnResolving|};
                {|HSW1001:AssemblyLoadContext.Default.ResolvingUnmanagedDll += (_, _) => IntPtr.Zero|};
                {|HSW1001:AssemblyLoadContext.Default.Unloading += OnUnloading|};
                {|HSW1001:AssemblyLoadContext.GetLoadContext(typeof(object).Assembly)!.Unloading += OnUnloading|};
                {|HSW1001:AssemblyLoadContext.GetLoadContext(typeof(Plugin).Assembly)!.Resolving += OnResolving|};
                {|HSW1001:AssemblyLoadContext.GetLoadContext(Assembly.GetEntryAssembly()!)!.Unloading += OnUnloading|};
                return Task.CompletedTask;
            }

            private Assembly? OnResolving(AssemblyLoadContext context, AssemblyName name) => null;

            private void OnUnloading(AssemblyLoadContext context) { }
        }
        """);

    [Fact]
    public Task HostLoadContextEvents_UnsubscribedInOnFreeAsync_AreSilent() => PluginAnalyzerTest.VerifyAsync<HostEventAnalyzer>(Usings + """
        using System.Reflection;
        using System.Runtime.Loader;

        public sealed class SubjectPlugin : Plugin
        {
            private readonly Func<Assembly, string, IntPtr> _native = (_, _) => IntPtr.Zero;

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                AssemblyLoadContext.Default.Resolving += OnResolving;
                AssemblyLoadContext.Default.ResolvingUnmanagedDll += _native;
                AssemblyLoadContext.GetLoadContext(typeof(object).Assembly)!.Unloading += OnUnloading;
                return Task.CompletedTask;
            }

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                AssemblyLoadContext.Default.Resolving -= OnResolving;
                AssemblyLoadContext.Default.ResolvingUnmanagedDll -= _native;
                AssemblyLoadContext.Default.Unloading -= OnUnloading;
                return Task.CompletedTask;
            }

            private Assembly? OnResolving(AssemblyLoadContext context, AssemblyName name) => null;

            private void OnUnloading(AssemblyLoadContext context) { }
        }
        """);

    [Fact]
    public Task OwnOrUnknownLoadContextEvents_AreSilent() => PluginAnalyzerTest.VerifyAsync<HostEventAnalyzer>(Usings + """
        using System.Reflection;
        using System.Runtime.Loader;

        public sealed class SubjectPlugin : Plugin
        {
            private readonly AssemblyLoadContext _children = new("children", isCollectible: true);

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                AssemblyLoadContext.GetLoadContext(typeof(SubjectPlugin).Assembly)!.Unloading += _ => { };
                AssemblyLoadContext.GetLoadContext(GetType().Assembly)!.Unloading += _ => { };
                AssemblyLoadContext.GetLoadContext(Assembly.GetExecutingAssembly())!.Unloading += _ => { };
                AssemblyLoadContext.GetLoadContext(typeof(HostEvents).Assembly)!.Unloading += _ => { };
                _children.Resolving += (_, _) => null;
                var current = AssemblyLoadContext.CurrentContextualReflectionContext;
                if (current is not null)
                {
                    current.Unloading += _ => { };
                }

                return Task.CompletedTask;
            }
        }
        """);

    [Fact]
    public Task HostStaticEvent_UnsubscribedInOnFreeAsync_IsSilent() => PluginAnalyzerTest.VerifyAsync<HostEventAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            private readonly EventHandler _onExit = (_, _) => { };

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                HostEvents.Tick += OnTick;
                AppDomain.CurrentDomain.ProcessExit += _onExit;
                return Task.CompletedTask;
            }

            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                HostEvents.Tick -= this.OnTick;
                AppDomain.CurrentDomain.ProcessExit -= _onExit;
                return Task.CompletedTask;
            }

            private void OnTick(object? sender, EventArgs e) { }
        }
        """);

    [Fact]
    public Task HostStaticEvent_UnsubscribedByANestedDisposableHandedToTheContext_IsSilent() => PluginAnalyzerTest.VerifyAsync<HostEventAnalyzer>(Usings + """
        public sealed partial class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                HostEvents.Tick += OnTick;
                context.RegisterForDispose(new Unsubscribe(this));
                return Task.CompletedTask;
            }

            private void OnTick(object? sender, EventArgs e) { }
        }

        public sealed partial class SubjectPlugin
        {
            private sealed class Unsubscribe(SubjectPlugin plugin) : IDisposable
            {
                public void Dispose() => HostEvents.Tick -= plugin.OnTick;
            }
        }
        """);

    [Fact]
    public Task HostStaticEvent_UnsubscribedInAPartialPartInAnotherFile_IsSilentThereAndReportedWhereNot() => PluginAnalyzerTest.VerifyAsync<HostEventAnalyzer>(Usings + """
        public sealed partial class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                HostEvents.Tick += OnTick;
                return Task.CompletedTask;
            }

            private void OnTick(object? sender, EventArgs e) { }
        }
        """, otherFile: Usings + """
        public sealed partial class SubjectPlugin
        {
            public override Task OnFreeAsync(CancellationToken cancellationToken)
            {
                HostEvents.Tick -= OnTick;
                {|HSW1001:AppDomain.CurrentDomain.ProcessExit += OnTick|};
                return Task.CompletedTask;
            }
        }
        """);

    [Fact]
    public Task Lambda_SubscribedToAHostEvent_ReportsEvenBesideARemoval() => PluginAnalyzerTest.VerifyAsync<HostEventAnalyzer>(Usings + """
        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                {|HSW1001:HostEvents.Tick += (_, _) => { }|};
                HostEvents.Tick -= (_, _) => { };
                return Task.CompletedTask;
            }
        }
        """);

    [Fact]
    public Task PluginOwnEventsAndInstanceEvents_AreSilent() => PluginAnalyzerTest.VerifyAsync<HostEventAnalyzer>(Usings + """
        public static class OwnEvents
        {
            public static event EventHandler? Changed;
        }

        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                OwnEvents.Changed += OnTick;
                var watcher = new System.IO.FileSystemWatcher();
                watcher.Changed += (_, _) => { };
                return Task.CompletedTask;
            }

            private void OnTick(object? sender, EventArgs e) { }
        }
        """);

    [Fact]
    public Task NotAPlugin_HostStaticEventNeverUnsubscribed_IsSilent() => PluginAnalyzerTest.VerifyAsync<HostEventAnalyzer>(Usings + """
        public sealed class HostSide
        {
            public void Start() => HostEvents.Tick += (_, _) => { };
        }
        """, plugin: false);

    [Fact]
    public Task NotAPlugin_WithTheOptionOn_Reports() => PluginAnalyzerTest.VerifyAsync<HostEventAnalyzer>(Usings + """
        public sealed class PrivateLibrary
        {
            public void Start() => {|HSW1001:HostEvents.Tick += (_, _) => { }|};
        }
        """, plugin: false, globalConfig: "hotswap_plugin_code = true");

    [Fact]
    public Task Plugin_WithTheOptionOff_IsSilent() => PluginAnalyzerTest.VerifyAsync<HostEventAnalyzer>(Usings + """
        public sealed class Helper
        {
            public void Start() => HostEvents.Tick += (_, _) => { };
        }
        """, globalConfig: "hotswap_plugin_code = false");
}
