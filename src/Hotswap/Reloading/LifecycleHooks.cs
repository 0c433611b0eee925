namespace Hotswap;

/// <summary>
/// Runs plugin code of the lifecycle (every hook of <see cref="Plugin"/>), each bounded by
/// <see cref="PluginHostOptions.LifecycleTimeout"/>, turning whatever goes wrong into a
/// <see cref="PluginLoadException"/> that names the plugin, the phase and the file.
/// </summary>
/// <remarks>
/// Every hook runs on the thread pool, never on the reload's thread: a hook that blocks before it
/// returns its task (a synchronous wait in <c>OnLoadAsync</c>, a slow <c>SaveState</c>) is bounded
/// by the timeout exactly like one whose task never completes. After a timeout the hook is
/// abandoned, not killed: its thread stays wherever the plugin left it, and the version it belongs
/// to is reported if it cannot be unloaded.
/// </remarks>
internal sealed class LifecycleHooks
{
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;

    public LifecycleHooks(TimeSpan timeout, TimeProvider time)
    {
        _timeout = timeout;
        _time = time;
    }

    /// <summary>Runs an async hook.</summary>
    /// <param name="version">The version whose plugin runs it.</param>
    /// <param name="phase">The phase, named in the error.</param>
    /// <param name="hook">The hook; it gets a token cancelled at the timeout.</param>
    /// <param name="cancellationToken">Cancels the reload; rethrown as is.</param>
    /// <returns>A task that completes when the hook did.</returns>
    /// <exception cref="PluginLoadException">The hook threw or timed out.</exception>
    public async Task RunAsync(PluginVersion version, ReloadPhase phase, Func<Plugin, CancellationToken, Task> hook, CancellationToken cancellationToken)
    {
        Plugin plugin = version.GetInstance();
        using var timeoutSource = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        CancellationToken token = linked.Token;
        Task task = Task.Run(() => hook(plugin, token) ?? Task.CompletedTask, CancellationToken.None);
        await WaitAsync(version.Name, version.EntryAssemblyPath, phase, task, timeoutSource, linked.Token, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a synchronous hook and returns its result.</summary>
    /// <typeparam name="T">The hook's result.</typeparam>
    /// <param name="version">The version whose plugin runs it.</param>
    /// <param name="phase">The phase, named in the error.</param>
    /// <param name="hook">The hook.</param>
    /// <param name="cancellationToken">Cancels the reload; rethrown as is.</param>
    /// <returns>The hook's result.</returns>
    /// <exception cref="PluginLoadException">The hook threw or timed out.</exception>
    public async Task<T> CallAsync<T>(PluginVersion version, ReloadPhase phase, Func<Plugin, T> hook, CancellationToken cancellationToken)
    {
        Plugin plugin = version.GetInstance();
        using var timeoutSource = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        Task<T> task = Task.Run(() => hook(plugin), CancellationToken.None);
        await WaitAsync(version.Name, version.EntryAssemblyPath, phase, task, timeoutSource, linked.Token, cancellationToken).ConfigureAwait(false);
        return task.Result; // completed successfully: WaitAsync threw otherwise
    }

    /// <summary>Runs a step that executes plugin code before the plugin exists (loading its assembly runs module initializers; creating it runs its constructor).</summary>
    /// <param name="pluginName">The plugin being loaded, named in a timeout.</param>
    /// <param name="file">Its entry assembly, named in a timeout.</param>
    /// <param name="phase">The phase, named in a timeout.</param>
    /// <param name="step">The step; it throws <see cref="PluginLoadException"/> for what it refuses.</param>
    /// <param name="cancellationToken">Cancels the reload; rethrown as is.</param>
    /// <returns>A task that completes when the step did.</returns>
    /// <exception cref="PluginLoadException">The step failed or timed out.</exception>
    public async Task RunStepAsync(string pluginName, string file, ReloadPhase phase, Action step, CancellationToken cancellationToken)
    {
        using var timeoutSource = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        Task task = Task.Run(step, CancellationToken.None);
        await WaitAsync(pluginName, file, phase, task, timeoutSource, linked.Token, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs host code against plugin code (the host's warm-up), bounded like a hook; its failure names no single plugin.</summary>
    /// <param name="phase">The phase, named in the error.</param>
    /// <param name="hookName">What runs, named in the error.</param>
    /// <param name="step">The step; it gets a token cancelled at the timeout.</param>
    /// <param name="cancellationToken">Cancels the reload; rethrown as is.</param>
    /// <returns>A task that completes when the step did.</returns>
    /// <exception cref="PluginLoadException">The step threw or timed out.</exception>
    public async Task RunHostAsync(ReloadPhase phase, string hookName, Func<CancellationToken, Task> step, CancellationToken cancellationToken)
    {
        using var timeoutSource = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        CancellationToken token = linked.Token;
        Task task = Task.Run(() => step(token) ?? Task.CompletedTask, CancellationToken.None);
        await WaitAsync(SR.AllPlugins, null, phase, task, timeoutSource, linked.Token, cancellationToken, hookName).ConfigureAwait(false);
    }

    /// <summary>Tells whether a hook's failure is that it never returned (as opposed to threw, or gave up when its token was cancelled).</summary>
    /// <param name="exception">The failure from <see cref="RunAsync"/> or <see cref="CallAsync{T}"/>.</param>
    /// <returns><see langword="true"/> when the hook's code may still be running.</returns>
    public static bool TimedOut(PluginLoadException exception) => exception.InnerException is TimeoutException;

    /// <summary>
    /// Waits for the hook's task. One timer (the timeout's token source, made before the hook
    /// starts) bounds both the hook and this wait, so the host's clock has exactly one deadline.
    /// </summary>
    private async Task WaitAsync(string pluginName, string? file, ReloadPhase phase, Task task, CancellationTokenSource timeoutSource, CancellationToken deadline, CancellationToken cancellationToken, string? hookName = null)
    {
        hookName ??= SR.HookName(phase);
        try
        {
            await task.WaitAsync(deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!task.IsCompleted)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw; // the reload was cancelled: the hook is abandoned
            }

            // The hook has not returned: its code is still running somewhere.
            string reason = SR.HookTimedOut(hookName, _timeout);
            throw new PluginLoadException(pluginName, phase, file, reason, new TimeoutException(reason));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex) when (timeoutSource.IsCancellationRequested)
        {
            // The hook gave up when its token was cancelled at the timeout.
            throw new PluginLoadException(pluginName, phase, file, SR.HookTimedOut(hookName, _timeout), ex);
        }
#pragma warning disable CA1031 // Isolation boundary: plugin code fails the reload, it never escapes it.
        catch (Exception ex) when (ex is not PluginLoadException)
#pragma warning restore CA1031
        {
            throw new PluginLoadException(pluginName, phase, file, SR.HookThrew(hookName, ex), ex);
        }
    }
}
