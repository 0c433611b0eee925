namespace Hotswap;

/// <summary>
/// Host-side copies of plugin tasks. A task made by a plugin's <see langword="async"/> method is an
/// instance of a type from the plugin's assembly: a caller that keeps it would keep the plugin
/// version loaded, and so would the plugin's exception inside a faulted one (its stack trace
/// references the plugin's code). The proxy returns these instead, faulted with a copy of the
/// exception (<see cref="PluginErrors.ForCaller"/>).
/// </summary>
internal static class TaskResults
{
    /// <summary>Awaits the plugin's task, then releases the lease; the returned task is the host's.</summary>
    /// <param name="task">The plugin's task.</param>
    /// <param name="generation">The generation leased.</param>
    /// <param name="pluginId">The plugin called, whose failure is counted on probation.</param>
    public static async Task ReleaseAfterAsync(Task task, PluginGeneration generation, int pluginId)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            generation.CountFailure(pluginId, ex);

            // The plugin's exception references its code through its stack trace: the caller gets a copy.
            throw PluginErrors.ForCaller(ex);
        }
        finally
        {
            generation.Leases.ReleaseShared();
        }
    }

    /// <inheritdoc cref="ReleaseAfterAsync(Task, PluginGeneration, int)"/>
    public static async Task<T> ReleaseAfterAsync<T>(Task<T> task, PluginGeneration generation, int pluginId)
    {
        try
        {
            return await task.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            generation.CountFailure(pluginId, ex);
            throw PluginErrors.ForCaller(ex);
        }
        finally
        {
            generation.Leases.ReleaseShared();
        }
    }

    /// <summary>A plain task with the outcome of a completed one.</summary>
    public static Task Detach(Task completed) => completed.Status switch
    {
        TaskStatus.RanToCompletion => Task.CompletedTask,
        TaskStatus.Canceled => Task.FromCanceled(Canceled(completed)),
        _ => Task.FromException(Error(completed)),
    };

    /// <summary>A plain task with the outcome of a completed one.</summary>
    public static Task<T> Detach<T>(Task<T> completed) => completed.Status switch
    {
        TaskStatus.RanToCompletion => Task.FromResult(completed.Result),
        TaskStatus.Canceled => Task.FromCanceled<T>(Canceled(completed)),
        _ => Task.FromException<T>(Error(completed)),
    };

    private static Exception Error(Task faulted)
    {
        AggregateException all = faulted.Exception!;
        return PluginErrors.ForCaller(all.InnerExceptions.Count == 1 ? all.InnerExceptions[0] : all);
    }

    private static CancellationToken Canceled(Task canceled)
    {
        try
        {
            canceled.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException ex) when (ex.CancellationToken.IsCancellationRequested)
        {
            return ex.CancellationToken;
        }
        catch (OperationCanceledException)
        {
        }

        return new CancellationToken(canceled: true);
    }
}
