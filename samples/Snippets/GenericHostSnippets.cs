using Hotswap;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Snippets;

public static class GenericHostSnippets
{
    public static async Task GenericHostAsync(string[] args)
    {
        #region generic-host
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddHotswap()                   // options from the "Hotswap" section, validated at start
            .AddProxy<IGreeter>("world")                // inject IGreeter: every call reaches the current version
            .AddHealthChecks();                         // Healthy, Degraded (failed reload, stuck unload), Unhealthy
        builder.Services.AddHostedService<GreetingWorker>();
        using IHost host = builder.Build();
        await host.RunAsync();                          // loads before other services start, drains after they stop
        #endregion
    }

    public static void InCode(IServiceCollection services)
    {
        #region generic-host-code
        services.AddHotswap(options =>
        {
            options.PluginsRoot = "plugins";             // wins over Hotswap:PluginsRoot
            options.AddStatic<WorldPlugin>("world-static");
        });
        services.Configure<HotswapHostingOptions>(o => o.AllowStartWithoutPlugins = true);
        #endregion
    }

    private sealed class GreetingWorker(IGreeter greeter) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken)
        {
            Console.WriteLine(greeter.Greet("you"));
            return Task.CompletedTask;
        }
    }
}
