using System.Reflection;

namespace Hotswap;

/// <summary>Every message the runtime shows, as full sentences that say what to do next.</summary>
internal static partial class SR
{
    public const string AllPlugins = "*";
    public const string AlreadyLoaded = "A generation is already loaded. Call ReloadAsync to load what changed.";
    public const string NothingLoaded = "No generation is loaded yet. Call LoadAsync first and check that it succeeded.";
    public const string HostDisposed = "The plugin host was disposed before this reload could run.";
    public const string ReloadCancelled = "the reload was cancelled because the host is shutting down.";
    public const string RootMissing = "the plugins root does not exist. Create it, or fix PluginHostOptions.PluginsRoot.";
    public const string VersionFolderMissing = "The version folder does not exist.";
    public const string ManifestMissing = "plugin.json is missing: the version folder is incomplete or was not written by the Hotswap publisher.";
    public const string ManifestIsNull = "plugin.json holds null instead of a manifest object.";
    public const string FileMissing = "The file is listed in plugin.json but missing from the version folder.";
    public const string FileNotListed = "The file is in the version folder but not listed in plugin.json; version folders must not be modified after publishing.";
    public const string OptionRootRequired = "PluginsRoot is required (unless the host only runs static plugins).";

    public static string InvalidPluginName(string name) => $"'{name}' is not a valid plugin name: use one folder name that does not start with a dot.";

    public static string InvalidVersionName(string name) => $"'{name}' is not a valid version id: use one folder name that does not start with a dot.";

    public static string BuildOutputMissing(string path) => $"The build output folder '{path}' does not exist. Build the plugin first.";

    public static string EntryAssemblyMissing(string entry, string source) => $"The entry assembly '{entry}' is not in the build output '{source}'. Check PublishOptions.EntryAssembly.";

    public static string EntryAssemblyUnknown(string source, int depsFiles) => $"Cannot tell the plugin's entry assembly: the build output '{source}' has {depsFiles} *.deps.json files instead of one. Set PublishOptions.EntryAssembly.";

    public static string EntryAssemblyInvalid(string path, Exception ex) => $"The entry assembly '{path}' is not a valid .NET assembly (truncated or corrupt): {ex.Message} Rebuild the plugin.";

    public static string VersionFolderConflict(string path) => $"The version folder '{path}' already exists with different content. Publish again to get a new version id.";

    public static string PruneLockBusy(string lockFile, TimeSpan timeout) => $"Nothing was pruned: '{lockFile}' stayed locked for {timeout.TotalSeconds:0.###} s by a host reading what to load or a publish flipping 'current'. Prune again later.";

    public static string DirectoryFlushFailed(string path, string error) => $"The folder '{path}' could not be flushed to disk ({error}), so a power cut could lose what was just published there. Check the disk, then publish again.";

    public static string CurrentFileUnreadable(Exception ex) => $"The 'current' file cannot be read: {ex.Message}";

    public static string VersionFolderDamaged(string path, VerificationProblem problem, int more) => $"The version folder '{path}' already exists with this build's version id, but it was changed after publishing, so it is not reused: '{problem.FilePath}': {WithMore(problem.Message, more)} Nothing was changed: 'current' names what it named before. Publish again a second later to get a new version id.";

    public static string RollbackRootMissing(string root) => $"Cannot roll back: the plugins root '{root}' does not exist. Check the path.";

    public static string RollbackUnknownPlugin(string plugin, string root) => $"Cannot roll back plugin '{plugin}': the plugins root '{root}' has no folder of that name. Check the name (hotswap status lists the plugins).";

    public static string RollbackNoCurrent(string plugin, string folder) => $"Cannot roll back plugin '{plugin}': its folder '{folder}' has no 'current' file, so no version is published yet. Publish a version first.";

    public static string RollbackCurrentNotAVersion(string plugin, string current, string folder) => $"Cannot roll back plugin '{plugin}': its 'current' file names '{current}', which is not a version folder in '{folder}'. Make a version current with PluginPublisher.Activate, or publish again.";

    public static string RollbackNothingOlder(string plugin, string current, string folder) => $"Cannot roll back plugin '{plugin}': 'current' names '{current}', the oldest version folder in '{folder}', so there is no earlier version to roll back to. 'current' is unchanged.";

    public static string CannotActivate(string path) => $"Cannot make '{path}' current: it is not a published version folder (no plugin.json). Publish it first.";

    public static string ManifestMalformed(string detail) => $"plugin.json is malformed: {detail}";

    public static string ManifestFormatVersion(int version) => $"plugin.json has format version {version}, but this host reads format version {PluginManifest.CurrentFormatVersion}. Republish the plugin with a matching Hotswap version.";

    public static string ManifestVersionMismatch(string manifest, string folder) => $"plugin.json names version '{manifest}', but its folder is '{folder}'; version folders must not be renamed.";

    public static string VersionFolderUnreadable(string reason) => $"The version folder cannot be read in full ({reason}), so it cannot be checked: give the host's user read access to every file and folder in it.";

    public static string FileEntryInvalid(string? path) => $"plugin.json lists a file entry without a usable path or a SHA-256 ('{path?.Replace("\0", "\\0", StringComparison.Ordinal)}'): the manifest is damaged.";

    public static string SharedAssemblyInvalid(string? name, string? version) => $"plugin.json lists a shared assembly '{name}' version '{version}', which is not an assembly name and a version: the manifest is damaged.";

    public static string ManifestNameInvalid(string name) => $"plugin.json names the plugin '{name}', which is not a valid plugin name.";

    public static string ManifestNameMismatch(string manifest, string folder) => $"plugin.json names the plugin '{manifest}', but it was published under '{folder}'. Republish it under its own name.";

    public static string PathEscapes(string path) => $"plugin.json lists the path '{path}', which escapes the version folder; only relative paths inside the folder are allowed.";

    public static string PathListedTwice(string path) => $"plugin.json lists the path '{path}' twice.";

    public static string FileSizeMismatch(long actual, long expected) => $"The file has {actual} bytes but plugin.json says {expected}: it was changed or truncated after publishing.";

    public static string FileHashMismatch(string actual, string expected) => $"The file's SHA-256 is {actual} but plugin.json says {expected}: it was changed after publishing.";

    public static string VersionFolderIsLink(string link) => $"The version folder is {link}; a version folder must be a real folder holding real files. Publish it with the Hotswap publisher.";

    public static string LinkInVersionFolder(string link) => $"The entry is {link}; a version folder holds regular files and folders only, never links, so it is refused.";

    public static string HardLinkInVersionFolder(long links) => $"The file has {links} names (hard links); it shares its bytes with a file that may lie outside the version folder, so it is refused. Publish with the Hotswap publisher, which copies.";

    public const string NotARegularFile = "The entry is not a regular file (a FIFO, socket or device); a version folder holds regular files and folders only, so it is refused.";

    public static string CurrentIsLink(string link) => $"the 'current' file is {link}; it must be a regular file written by the Hotswap publisher.";

    public static string EntryNotListed(string entry) => $"plugin.json names the entry assembly '{entry}', which is not one of its listed files.";

    public static string WithMore(string message, int more) => more switch
    {
        0 => message,
        1 => message + " (1 more problem; run 'hotswap verify' on the folder for the full list)",
        _ => message + $" ({more} more problems; run 'hotswap verify' on the folder for the full list)",
    };

    public static string RootUnreadable(Exception ex) => $"the plugins root cannot be read: {ex.Message}";

    public static string NameCollision(string name, string other) => $"its folder name '{name}' differs only in case from '{other}'; plugin names must be unique ignoring case. Remove or rename one of them.";

    public static string CurrentUnreadable(Exception ex) => $"the 'current' file cannot be read: {ex.Message}";

    public static string CurrentInvalid(string content) => $"the 'current' file holds '{content}', which is not a version folder name. Publish with the Hotswap publisher, which writes it.";

    public static string CurrentNamesMissingFolder(string version, string folder) => $"the 'current' file names version folder '{version}', which does not exist ({folder}). Publish the version folder before flipping 'current'.";

    public static string NotAnAssembly(Exception ex) => $"the file is not a valid .NET assembly (truncated or corrupt): {ex.Message}";

    public static string SharedVersionTooHigh(string assembly, Version built, Version host, string? why) => why == SharedFramework
        ? $"the plugin was built against {assembly} {built}, but the host's framework has {assembly} {host} (the framework is always shared). Build the plugin for the framework the host runs on, or run the host on a newer .NET."
        : why is null
        ? $"the plugin was built against {assembly} {built} and does not ship it, and the host provides {assembly} {host}. Ship {assembly} {built} in the plugin's version folder, or rebuild the plugin against the host's version."
        : $"the plugin was built against {assembly} {built}, but the host provides {assembly} {host}, and {assembly} must be shared (one copy, one type identity for host and plugins): {why}. Rebuild the plugin against {assembly} {host}, or update the host's {assembly}.";

    public const string SharedFramework = "it is part of the shared framework";

    public const string SharedAbstractions = "it is Hotswap.Abstractions, which defines the plugin model itself";

    public static string SharedContract(string assembly) => $"it is a contract assembly of the host (the host's {assembly} references Hotswap.Abstractions)";

    public static string SharedForced(string assembly) => $"PluginHostOptions.SharedAssemblies names {assembly}";

    public static string SharedSurface(string assembly, string sharedBy, string type) => $"its types appear in the public surface of {sharedBy}, which is shared (first in {type})";

    public static string DependencyMissing(AssemblyName reference, string referencedBy) => $"'{referencedBy}' needs {reference.FullName}, which the host does not provide and the version folder does not contain. Publish the plugin with all its private dependencies (dotnet publish).";

    public static string DependencyNotListed(AssemblyName reference, string depsJson) => $"'{Path.GetFileName(depsJson)}' resolves {reference.FullName} to this file, which plugin.json does not list; only the version folder's listed files are loaded. Publish the plugin with all its private dependencies inside its folder.";

    public static string DepsJsonUnreadable(Exception ex) => $"the plugin's deps.json cannot be read: {ex.Message}";

    public static string NotVerified(PluginVersionInfo version) => $"{version} was not verified; only a verified version folder is loaded.";

    public static string StatusRootMissing(string root) => $"The plugins root '{root}' does not exist, so no status file is written there; the host does not create it.";

    public static string LoadChanged(string plugin, string folder, string file, string detail) => $"Plugin '{plugin}': the file '{file}' in version folder '{folder}' no longer matches plugin.json ({detail}): it was changed after the version was verified, so it is not loaded. Publish a new version folder instead of changing a published one.";

    public static string LoadNotListed(string plugin, string folder, string file) => $"Plugin '{plugin}': the file '{file}' is not listed in plugin.json of version folder '{folder}', so it is not loaded. Publish the plugin with all its private dependencies.";

    public static string LoadUnreadable(string plugin, string folder, string file, string reason) => $"Plugin '{plugin}': the file '{file}' in version folder '{folder}' cannot be read, so it is not loaded: {reason}";

    public static string NativeCopyFailed(string plugin, string folder, string file, string reason) => $"Plugin '{plugin}': the native library '{file}' in version folder '{folder}' was verified but its private copy could not be written, so it is not loaded: {reason}";

    public static string LoadFailed(Exception ex) => $"the entry assembly could not be loaded ({ex.GetType().Name}): {ex.Message}";

    public static string AttributeUnreadable(Exception ex) => $"the [assembly: HotswapPlugin] attribute could not be read ({ex.GetType().Name}): {ex.Message}";

    public static string NoPluginAttribute(string? assembly) => $"the assembly '{assembly}' has no [assembly: HotswapPlugin(typeof(...))] attribute naming its plugin class. Add it, or publish the right assembly.";

    public static string NotAPluginType(Type type) => $"[assembly: HotswapPlugin] names '{type.FullName}', which does not derive from Hotswap.Plugin.";

    public static string NoUsableConstructor(Type type) => $"the plugin class '{type.FullName}' must be a non-abstract class with a public parameterless constructor.";

    public static string HookThrew(string hook, Exception ex) => $"{hook} threw {ex.GetType().Name}: {ex.Message}";

    public static string HookTimedOut(string hook, TimeSpan timeout) => $"{hook} did not complete within {timeout.TotalSeconds:0.###} s (PluginHostOptions.LifecycleTimeout).";

    public static string HookName(ReloadPhase phase) => phase switch
    {
        ReloadPhase.Load => "Loading the assembly and creating the plugin",
        ReloadPhase.Reloadable => "the Reloadable property",
        ReloadPhase.Export => "Export()",
        ReloadPhase.OnLoad => "OnLoadAsync",
        ReloadPhase.OnInit => "OnInitAsync",
        ReloadPhase.WarmUp => "WarmUpAsync",
        ReloadPhase.HealthGate => "CheckHealthAsync",
        ReloadPhase.Free => "OnFreeAsync",
        _ => phase.ToString(),
    };

    public static string Unexpected(Exception ex) => $"unexpected {ex.GetType().Name}: {ex.Message}";

    public static string ExportNotOfType(string plugin, Type type, object? exported) => exported is null
        ? $"Plugin '{plugin}' exports nothing, so it cannot be used as '{type.FullName}'."
        : $"Plugin '{plugin}' exports a '{exported.GetType().FullName}', which is not a '{type.FullName}'.{TwinOf(type, exported.GetType())}";

    /// <summary>When <paramref name="wanted"/> has a twin of the same full name in another load context among <paramref name="actual"/>'s types, says so and what shares it.</summary>
    public static string TwinOf(Type wanted, Type actual)
    {
        foreach (Type candidate in actual.GetInterfaces().Concat(BaseTypes(actual)))
        {
            if (candidate != wanted && candidate.FullName == wanted.FullName)
            {
                string assembly = candidate.Assembly.GetName().Name ?? "?";
                string where = System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(candidate.Assembly)?.Name ?? "?";
                return $" It implements a '{candidate.FullName}' of its own copy of {assembly} (in the load context '{where}'): the plugin ships {assembly}, which the host does not share. "
                    + $"Make {assembly} a contract (a contract assembly uses a type of Hotswap.Abstractions, such as [PluginContract]), reference it from the plugin with Private=\"false\", or name it in PluginHostOptions.SharedAssemblies.";
            }
        }

        return "";

        static IEnumerable<Type> BaseTypes(Type type)
        {
            for (Type? t = type.BaseType; t is not null; t = t.BaseType)
            {
                yield return t;
            }
        }
    }

    public static string NoProxy(Type contract) => $"No proxy was generated for '{contract.FullName}'. Mark the interface [PluginContract] and reference Hotswap.Generators as an analyzer from the host project, or call the plugin with PluginHost.Invoke and a lambda.";

    public static string PluginNotInGeneration(string plugin, long generation) => $"Generation {generation} has no plugin named '{plugin}'. Check the name, or that the plugin was published and loaded.";

    public static string VersionFreed(PluginVersionInfo version) => $"Plugin version {version} was freed: its generation retired and its last lease was released. Acquire a new lease.";

    public static string InvokeEachFailed(string plugin, string name, Exception ex) => $"Plugin '{plugin}' failed in Invoke(\"{name}\"): {ex.GetType().Name}: {ex.Message}";

    public static string InvokeEachFailures(string name, int failed, int total) => $"{failed} of {total} plugins failed in Invoke(\"{name}\"); every plugin was still called.";

    public static string FreeProblem(string reason) => $"OnFreeAsync did not complete cleanly ({reason}), so it may not have released what it holds. ";

    public static string RegistrationProblem(Exception ex) => $"A registration given to IPluginContext.RegisterForDispose failed to dispose ({ex.GetType().Name}: {ex.Message}). ";

    public static string NotDrained(long generation, long leases) => $"Generation {generation} retired but {leases} lease(s) on it are still held: a call is still running on this version (or a GenerationLease was not disposed). The version is freed when the last one is released.";

    public static string KnownPin(string library, string holds, string fix, string link)
        => $"It loaded its own copy of {library}, which pins a plugin version unless the plugin releases it: {holds}. The fix: {fix} (see {link}). ";

    public static string NotCollected(PluginVersionInfo version, TimeSpan elapsed, int collections, string? knownProblem)
        => $"The load context of {version} is still alive {elapsed.TotalMilliseconds:0} ms after Unload() and {collections} forced collections. {knownProblem}"
            + "Something outside the plugin still references its code or objects: a delegate on a host or static event, an undisposed timer, a thread still running plugin code, a host cache keyed by a plugin type, or a kept exception. "
            + "Register such things with IPluginContext.RegisterForDispose, or release them in OnFreeAsync.";

    public static string FindTheChain
        => $" To find the chain: hotswap diagnose {Environment.ProcessId}, or set PluginHostOptions.UnloadDiagnoser (UnloadDiagnosers.HeapDump(), in the package Hotswap.Diagnostics) and the host names it here.";

    public static string Diagnosed(string finding) => $" What holds it: {finding}";

    public static string DiagnosedNothing(string diagnoser) => $" The unload diagnoser ({diagnoser}) named nothing for it.";

    public static string DiagnosisFailed(string diagnoser, Exception failure) => $" The unload diagnoser ({diagnoser}) failed: {failure.GetType().Name}: {failure.Message}";

    public static string DiagnosisTimedOut(string diagnoser, TimeSpan timeout) => $" The unload diagnoser ({diagnoser}) did not answer within {timeout.TotalMinutes:0} minutes.";

    public static string DiagnosisStillRunning(string diagnoser, TimeSpan timeout) => $" Not diagnosed: an earlier diagnosis by {diagnoser}, given up on after {timeout.TotalMinutes:0} minutes, is still running.";

    public const string NotDiagnosedStopping = " Not diagnosed: the host was stopping.";

    public static string StaticNameTwice(string name) => $"The static plugin name '{name}' is used more than once (names are compared ignoring case).";

    public static string StaticNameCollision(string name) => $"its name is used both by a static plugin and by a plugin folder; names must be unique ignoring case. Rename one of them.";

    public static string ImportWithoutSetter(System.Reflection.PropertyInfo property) => $"the import property '{property.DeclaringType?.FullName}.{property.Name}' has no setter; give it one (it may be private).";

    public static string TypesUnloadable(System.Reflection.ReflectionTypeLoadException ex) => $"the assembly's types cannot all be loaded: {ex.LoaderExceptions.FirstOrDefault(e => e is not null)?.Message ?? ex.Message}";

    public static string LiveTypeNotCreatable(string name, Type type) => $"the live type '{name}' ({type.FullName}) must be a non-abstract, non-generic class.";

    public static string LiveFunctionNotStatic(string name, System.Reflection.MethodInfo method) => $"the live function '{name}' ({method.DeclaringType?.FullName}.{method.Name}) must be a static, non-generic method of a non-generic type.";

    public static string LiveNameTwice(string kind, string name) => $"the live {kind} name '{name}' is used twice in this plugin.";

    public static string LiveNameCollision(string kind, string name, string other) => $"its live {kind} '{name}' is already defined by plugin '{other}'; live names must be unique across the plugins of a generation.";

    public static string UnknownImport(string property, string target) => $"its property '{property}' imports '{target}', which is not a plugin of this generation. Publish '{target}', or fix the [Import] name.";

    public static string ImportTypeMismatch(string property, Type propertyType, string target, object? exported) => exported is null
        ? $"its property '{property}' imports '{target}' as '{propertyType.FullName}', but '{target}' exports nothing (its Export() returned null)."
        : $"its property '{property}' imports '{target}' as '{propertyType.FullName}', but '{target}' exports a '{exported.GetType().FullName}', which is not one.{TwinOf(propertyType, exported.GetType())}";

    public static string NotReloadableImportsReloadable(string target) => $"it is not reloadable but imports '{target}', which is: it would keep a retired version of '{target}' alive. Make both reloadable, or neither.";

    public static string ImportCycle(IEnumerable<string> cycle) => $"the imports form a cycle: {string.Join(" -> ", cycle)}. Break the cycle, e.g. by moving the shared part into a contract or a third plugin.";

    public static string OptionPositive(string name) => $"{name} must be positive.";

    public const string OptionAutoRollbackNeedsProbation = "AutoRollback needs a positive Probation: a version can only be rolled back while the previous one is kept.";

    public const string OptionProbationTooLong = "Probation must be at most 49.7 days (4294967294 ms), or Timeout.InfiniteTimeSpan to keep the previous generation until the next reload.";

    public const string OptionFailureRate = "AutoRollback.FailureRate must be greater than 0 and at most 1.";

    public const string HostWarmUp = "The host's warm-up (PluginHostOptions.WarmUp)";

    public const string NothingToRollBack = "there is nothing to roll back to: no previous generation is kept on probation (PluginHostOptions.Probation is off, the probation ended, or the last switch was already rolled back).";

    public const string RollbackRequested = "requested by RollbackAsync";

    public static string RollbackFailureRate(string plugin, string version, long failed, long calls, double rate)
        => $"{plugin}@{version} failed {failed} of its {calls} calls during probation, at least AutoRollback.FailureRate ({rate:0.###}).";

    public static string RollbackStateFailed(string reason) => $"the state handoff failed ({reason}); the older version serves with the state it had.";

    public static string TooManyDraining(string plugin, int count, int max, string draining)
        => $"the reload would retire one more version of '{plugin}' while {count} retired version(s) of it are still draining ({draining}), and PluginHostOptions.MaxDrainingVersions is {max}. The reload is refused and no call is cancelled; reload again once those calls return.";

    public const string StandbyPublished = "the published versions are the ones kept on probation";

    public static string DrainingVersion(string version, long calls) => $"{version} ({calls} call(s) in flight)";

    public const string OptionWatchNeedsRoot = "Watch needs a PluginsRoot to watch.";

    public static string OptionNotNegative(string name) => $"{name} must not be negative.";

    public static string OptionRequired(string name) => $"{name} is required.";

    public static string OptionsInvalid(List<string> errors) => "The plugin host options are not valid: " + string.Join(" ", errors);

    public static string FreeHung(TimeSpan timeout) => $"OnFreeAsync did not return within {timeout.TotalSeconds:0.###} s (PluginHostOptions.LifecycleTimeout): its code is still running on a thread (a blocking wait?), so the version cannot be unloaded until it returns. ";

    public const string FinalizerBlocked = "The finalizer thread did not finish within the watchdog's wait: a finalizer somewhere in the process is blocked, and no load context can be collected until it returns. ";

    public static string Unhealthy(string reason) => $"the new version is not fit to serve: {reason} (CheckHealthAsync); the previous version keeps serving.";
}
