using Hotswap.Analyzers;

namespace Hotswap.Tests.Analyzers;

public sealed class HostStaticCacheAnalyzerTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Hotswap;
        using HostApp;

        """;

    [Fact]
    public Task PluginObjectsTypesAndDelegates_StoredIntoAHostStatic_Report() => PluginAnalyzerTest.VerifyAsync<HostStaticCacheAnalyzer>(Usings + """
        public sealed class Greeting { }

        public sealed class SubjectPlugin : Plugin
        {
            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                {|HSW1008:Cache.Current = this|};
                {|HSW1008:Cache.Items["greeting"] = new Greeting()|};
                {|HSW1008:Cache.Registry.Items["greeting"] = new Greeting()|};
                {|HSW1008:Cache.All.Add(new List<Greeting>())|};
                {|HSW1008:Cache.All.Add((Action)Hello)|};
                {|HSW1008:Cache.ByType[typeof(Greeting)] = "keyed by a plugin type"|};
                return Task.CompletedTask;
            }

            private static void Hello() { }
        }
        """);

    [Fact]
    public Task HostDataAndPluginOwnStatics_AreSilent() => PluginAnalyzerTest.VerifyAsync<HostStaticCacheAnalyzer>(Usings + """
        public sealed class Greeting { }

        public sealed class SubjectPlugin : Plugin
        {
            private static readonly List<object> s_own = new();
            private readonly Registry _registry = new();

            public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
            {
                Cache.Items["greeting"] = "hello";
                Cache.ByType[typeof(string)] = "keyed by a framework type";
                Cache.All.Add(42);
                s_own.Add(this);
                _registry.Items["greeting"] = new Greeting();
                Console.Out.WriteLine(this);
                return Task.CompletedTask;
            }
        }
        """);

    [Fact]
    public Task NotAPlugin_StoringIntoAnotherAssemblysStatic_IsSilent() => PluginAnalyzerTest.VerifyAsync<HostStaticCacheAnalyzer>(Usings + """
        public sealed class HostSide
        {
            public void Start() => Cache.Current = this;
        }
        """, plugin: false);
}
