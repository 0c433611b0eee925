namespace Hotswap;

/// <summary>The step of a reload in which something happened, in the order the steps run.</summary>
public enum ReloadPhase
{
    /// <summary>Reading the plugins root and each plugin's <c>current</c> file.</summary>
    Discover,

    /// <summary>Checking <c>plugin.json</c>, file hashes and the assemblies the plugin needs.</summary>
    Verify,

    /// <summary>Creating the load context and loading the entry assembly.</summary>
    Load,

    /// <summary>Running the plugin's constructor.</summary>
    Construct,

    /// <summary>Reading <see cref="Plugin.Reloadable"/>.</summary>
    Reloadable,

    /// <summary>Calling <see cref="Plugin.Export"/>.</summary>
    Export,

    /// <summary>Filling imports and ordering plugins by dependency.</summary>
    Link,

    /// <summary>Calling <see cref="Plugin.OnLoadAsync"/>.</summary>
    OnLoad,

    /// <summary>Building the generation's <see cref="Hotswap.Vault"/>: the extension, live functions and live types.</summary>
    Vault,

    /// <summary>Calling <see cref="Plugin.OnInitAsync"/>.</summary>
    OnInit,

    /// <summary>Calling <see cref="Plugin.WarmUpAsync"/>: the new version's code runs once before any caller reaches it.</summary>
    WarmUp,

    /// <summary>Calling <see cref="Plugin.CheckHealthAsync"/>: the new version says whether it is fit to serve.</summary>
    HealthGate,

    /// <summary>Calling <see cref="Plugin.SaveState"/> on the version being replaced.</summary>
    SaveState,

    /// <summary>Calling <see cref="Plugin.RestoreState"/> on the new version.</summary>
    RestoreState,

    /// <summary>Publishing the new generation.</summary>
    Switch,

    /// <summary>Retiring an old version: <see cref="Plugin.OnFreeAsync"/> and unloading.</summary>
    Free,

    /// <summary>Switching back to the generation kept on probation: the state handoff and the switch.</summary>
    Rollback,

    /// <summary>Fetching a version's artifact for a fleet agent: the download, the archive and its digest, before the version folder is published.</summary>
    Fetch,
}
