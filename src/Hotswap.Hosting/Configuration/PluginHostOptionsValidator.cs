using Microsoft.Extensions.Options;

namespace Hotswap.Hosting;

/// <summary>
/// Validates <see cref="PluginHostOptions"/> under DI (run at start by <c>ValidateOnStart</c>): the
/// rules of <see cref="PluginHost.Create"/>, every error at once, each naming its setting as the
/// configuration does (<c>Hotswap:LifecycleTimeout must be positive.</c>), and the settings of the
/// section that could not be read at all.
/// </summary>
internal sealed class PluginHostOptionsValidator(HotswapConfiguration configuration, IServiceProvider services) : IValidateOptions<PluginHostOptions>
{
    public ValidateOptionsResult Validate(string? name, PluginHostOptions options)
    {
        if (name != Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        var errors = new List<string>();
        if (configuration.Section(services) is { } section)
        {
            // Read again only for the errors: the binder left unreadable values at their defaults.
            PluginHostSettings.Bind(section, new PluginHostOptions(), configuration, errors);
        }

        string root = configuration.Key(nameof(PluginHostOptions.PluginsRoot));
        if (options.PluginsRoot is not null && string.IsNullOrWhiteSpace(options.PluginsRoot))
        {
            errors.Add(SR.RootBlank(root));
        }

        if (options.LifecycleTimeout <= TimeSpan.Zero && options.LifecycleTimeout != Timeout.InfiniteTimeSpan)
        {
            errors.Add(SR.PositiveOrInfinite(configuration.Key(nameof(PluginHostOptions.LifecycleTimeout))));
        }

        if (options.UnloadTimeout <= TimeSpan.Zero)
        {
            errors.Add(SR.Positive(configuration.Key(nameof(PluginHostOptions.UnloadTimeout))));
        }

        if (options.UnloadForcedCollections < 1)
        {
            errors.Add(SR.Positive(configuration.Key(nameof(PluginHostOptions.UnloadForcedCollections))));
        }

        if (options.WatchDebounce < TimeSpan.Zero)
        {
            errors.Add(SR.NotNegative(configuration.Key(nameof(PluginHostOptions.WatchDebounce))));
        }

        if (options.PollingInterval <= TimeSpan.Zero)
        {
            errors.Add(SR.Positive(configuration.Key(nameof(PluginHostOptions.PollingInterval))));
        }

        if (options.StatusInterval <= TimeSpan.Zero)
        {
            errors.Add(SR.Positive(configuration.Key(nameof(PluginHostOptions.StatusInterval))));
        }

        if (options.Probation < TimeSpan.Zero && options.Probation != Timeout.InfiniteTimeSpan)
        {
            errors.Add(SR.NotNegative(configuration.Key(nameof(PluginHostOptions.Probation))));
        }
        else if (options.Probation > TimeSpan.FromMilliseconds(uint.MaxValue - 1.0))
        {
            errors.Add(SR.ProbationTooLong(configuration.Key(nameof(PluginHostOptions.Probation))));
        }

        if (options.MaxDrainingVersions < 1)
        {
            errors.Add(SR.Positive(configuration.Key(nameof(PluginHostOptions.MaxDrainingVersions))));
        }

        if (options.AutoRollback is { } auto)
        {
            if (options.Probation == TimeSpan.Zero)
            {
                errors.Add(SR.AutoRollbackNeedsProbation(configuration.Key(nameof(PluginHostOptions.AutoRollback)), configuration.Key(nameof(PluginHostOptions.Probation))));
            }

            if (!(auto.FailureRate > 0 && auto.FailureRate <= 1))
            {
                errors.Add(SR.FailureRate(configuration.Key(PluginHostSettings.AutoRollbackKey(nameof(AutoRollbackOptions.FailureRate)))));
            }

            if (auto.MinimumCalls < 1)
            {
                errors.Add(SR.Positive(configuration.Key(PluginHostSettings.AutoRollbackKey(nameof(AutoRollbackOptions.MinimumCalls)))));
            }
        }

        if (options.Watch && string.IsNullOrWhiteSpace(options.PluginsRoot))
        {
            errors.Add(SR.WatchNeedsRoot(configuration.Key(nameof(PluginHostOptions.Watch)), root));
        }

        for (int i = 0; i < options.TrustedKeys.Count; i++)
        {
            try
            {
                _ = PluginPublisher.GetKeyId(options.TrustedKeys[i]);
            }
            catch (ArgumentException ex)
            {
                // Configured keys that are unusable were reported by the binder above and left out: this one was added in code.
                errors.Add(SR.TrustedKeyInvalid($"{nameof(PluginHostOptions)}.{nameof(PluginHostOptions.TrustedKeys)}[{i}]", ex.Message));
            }
        }

        if (options.TimeProvider is null)
        {
            errors.Add(SR.Required(nameof(PluginHostOptions) + "." + nameof(PluginHostOptions.TimeProvider)));
        }

        if (errors.Count == 0)
        {
            CheckWithCreate(options, root, errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>
    /// Lets <see cref="PluginHost.Create"/> judge what only it can see: the static plugins added with
    /// <see cref="PluginHostOptions.AddStatic"/> (which make the plugins root optional, and must have
    /// unique names). Creating a host starts nothing (no file, timer or thread until <c>LoadAsync</c>),
    /// so the trial host is dropped without disposing it.
    /// </summary>
    private static void CheckWithCreate(PluginHostOptions options, string root, List<string> errors)
    {
        try
        {
            _ = PluginHost.Create(options);
        }
        catch (ArgumentException ex)
        {
            // With every other rule checked above, a host with no plugins root fails here only when it
            // has no static plugins either: name the setting. Anything else is Create's own sentence.
            errors.Add(options.PluginsRoot is null && ex.Message.Contains(nameof(PluginHostOptions.PluginsRoot), StringComparison.Ordinal)
                ? SR.RootRequired(root)
                : ex.Message);
        }
    }
}
