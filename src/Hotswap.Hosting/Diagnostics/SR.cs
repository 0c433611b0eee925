namespace Hotswap.Hosting;

/// <summary>Every message of the hosting package, as full sentences that say what to do next.</summary>
internal static class SR
{
    public const string ExpectedBool = "true or false";
    public const string ExpectedInt = "a whole number";
    public const string ExpectedNumber = "a number such as 0.25";
    public const string ExpectedTimeSpan = "a time span such as 00:00:30";
    public const string ExpectedWatchMode = "Events or Polling";
    public const string ExpectedPublicKey = "a public key's PEM text or the path of a readable file holding one";

    public static string TrustedKeyInvalid(string key, string reason) => $"{key}: {reason}";

    public static string SettingUnreadable(string key, string text, string expected) => $"{key} is '{text}', which is not {expected}.";

    public static string Positive(string key) => $"{key} must be positive.";

    public static string PositiveOrInfinite(string key) => $"{key} must be positive, or -00:00:00.001 for no limit.";

    public static string FailureRate(string key) => $"{key} must be greater than 0 and at most 1.";

    public static string AutoRollbackNeedsProbation(string auto, string probation) => $"{auto} is set but {probation} is not: a version can only be rolled back while the previous one is kept. Set a probation period.";

    public static string ProbationTooLong(string key) => $"{key} must be at most 49.7 days (49.17:02:47.294), or -00:00:00.001 to keep the previous generation until the next reload.";

    public static string NotNegative(string key) => $"{key} must not be negative.";

    public static string Required(string key) => $"{key} is required.";

    public static string RootRequired(string key) => $"{key} is required: set it to the folder that holds one folder per plugin (only a host of static plugins alone may leave it out).";

    public static string RootBlank(string key) => $"{key} is blank: set it to the folder that holds one folder per plugin, or leave it out for a host of static plugins alone.";

    public static string WatchNeedsRoot(string watch, string root) => $"{watch} is true but {root} is not set: set the folder to watch.";

    public static string FirstLoadFailed(string message, string allowKey) => $"Hotswap could not load the first generation, so the host does not start. {message} Fix the plugin and publish it again, or set {allowKey} to true to start with no plugins.";

    public static string ProxyPluginName(string contract) => $"AddProxy<{contract}> needs the name of the plugin that exports it.";

    public const string HealthNotLoaded = "No generation serves yet: the first load has not completed.";

    public const string HealthStopped = "No generation serves: the plugin host was stopped.";

    public static string HealthFirstLoadFailed(string error) => $"No generation serves: the first load failed. {error}";

    public static string HealthHealthy(long generation) => $"Generation {generation} serves; the last reload succeeded and no version is stuck.";

    public static string HealthReloadFailed(long generation, string error) => $"The last reload failed; generation {generation} still serves. {error}";

    public static string HealthStuck(PluginVersionInfo version, string? cause) => cause is null
        ? $"{version} is stuck: it retired but its load context was not collected."
        : $"{version} is stuck: {cause}";
}
