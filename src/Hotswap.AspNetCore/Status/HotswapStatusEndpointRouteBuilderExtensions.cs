using Hotswap;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the Hotswap status page: what serves, what retires, the last reloads.</summary>
public static class HotswapStatusEndpointRouteBuilderExtensions
{
    /// <summary>Maps the status page of the <see cref="PluginHost"/> registered in the application's services.</summary>
    /// <param name="endpoints">The application or a route group.</param>
    /// <param name="pattern">The page's path: HTML at <c>{pattern}</c>, JSON at <c>{pattern}.json</c>, the reload and rollback actions at <c>POST {pattern}/reload</c> and <c>POST {pattern}/rollback</c>.</param>
    /// <param name="configure">Sets the options: the authorization policy, the plugins root.</param>
    /// <returns>A builder for conventions applied to the page's endpoints.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endpoints"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> is empty or does not start with '/'.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="HotswapStatusOptions.HistoryLength"/> is less than 1.</exception>
    /// <exception cref="InvalidOperationException">No <see cref="PluginHost"/> is registered.</exception>
    public static IEndpointConventionBuilder MapHotswapStatus(this IEndpointRouteBuilder endpoints, string pattern = "/hotswap", Action<HotswapStatusOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapHotswapStatus(endpoints.ServiceProvider.GetRequiredService<PluginHost>(), pattern, configure);
    }

    /// <summary>
    /// Maps the status page of <paramref name="host"/>: an HTML page and a JSON document with the
    /// generation, each plugin's version and build time, the calls in flight, the retiring and stuck
    /// versions, and the last reloads with their errors; and, when enabled, a reload action (a POST).
    /// Every endpoint requires <see cref="HotswapStatusOptions.AuthorizationPolicy"/> (or the default
    /// policy), so anonymous users are refused unless <see cref="HotswapStatusOptions.AllowAnonymous"/> is set.
    /// </summary>
    /// <param name="endpoints">The application or a route group.</param>
    /// <param name="host">The plugin host.</param>
    /// <param name="pattern">The page's path: HTML at <c>{pattern}</c>, JSON at <c>{pattern}.json</c>, the reload and rollback actions at <c>POST {pattern}/reload</c> and <c>POST {pattern}/rollback</c>.</param>
    /// <param name="configure">Sets the options: the authorization policy, the plugins root.</param>
    /// <returns>A builder for conventions applied to the page's endpoints.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endpoints"/> or <paramref name="host"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> is empty or does not start with '/'.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="HotswapStatusOptions.HistoryLength"/> is less than 1.</exception>
    /// <remarks>The page remembers the reloads it saw after it was mapped. The reload action requires the header <c>X-Hotswap-Action: reload</c> (the rollback action, <c>X-Hotswap-Action: rollback</c>), which a cross-site form cannot send.</remarks>
    public static IEndpointConventionBuilder MapHotswapStatus(this IEndpointRouteBuilder endpoints, PluginHost host, string pattern = "/hotswap", Action<HotswapStatusOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        if (pattern[0] != '/')
        {
            throw new ArgumentException($"The status page's pattern must start with '/'; '{pattern}' does not.", nameof(pattern));
        }

        var options = new HotswapStatusOptions();
        configure?.Invoke(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.HistoryLength, 1, nameof(configure));

        IServiceProvider services = endpoints.ServiceProvider;
        ILogger logger = (ILogger?)services.GetService<ILoggerFactory>()?.CreateLogger("Hotswap.AspNetCore") ?? NullLogger.Instance;
        var tracker = new HotswapStatusTracker(host, services.GetService<TimeProvider>() ?? TimeProvider.System, options.HistoryLength);
        var page = new StatusPage(host, tracker, options, logger);

        string trimmed = pattern.Length > 1 ? pattern.TrimEnd('/') : pattern;
        var builders = new List<IEndpointConventionBuilder>
        {
            endpoints.MapGet(trimmed, (RequestDelegate)page.WriteHtmlAsync).WithDisplayName("Hotswap status page"),
            endpoints.MapGet(trimmed + ".json", (RequestDelegate)page.WriteJsonAsync).WithDisplayName("Hotswap status document"),
        };
        if (options.EnableReload)
        {
            builders.Add(endpoints.MapPost(trimmed + "/reload", (RequestDelegate)page.ReloadAsync).WithDisplayName("Hotswap reload"));
            builders.Add(endpoints.MapPost(trimmed + "/rollback", (RequestDelegate)page.RollbackAsync).WithDisplayName("Hotswap rollback"));
        }

        var composite = new CompositeConventionBuilder(builders);
        if (options.AllowAnonymous)
        {
            composite.AllowAnonymous();
        }
        else if (options.AuthorizationPolicy is { } policy)
        {
            composite.RequireAuthorization(policy);
        }
        else
        {
            composite.RequireAuthorization();
        }

        return composite;
    }
}
