namespace Hotswap;

/// <summary>
/// The fleet's keys in etcd (docs/fleet.md, "Keys"): every key of fleet <c>F</c> lives under
/// <c>/hotswap/fleets/F/</c>. This type owns the layout; nothing else builds a key.
/// </summary>
internal static class FleetKeys
{
    private const string Root = "/hotswap/fleets/";

    /// <summary>The prefix of every key of one fleet.</summary>
    public static string Fleet(string fleet) => Root + fleet + "/";

    /// <summary>The prefix of the hosts' registrations (each bound to its host's lease).</summary>
    public static string Hosts(string fleet) => Fleet(fleet) + "hosts/";

    /// <summary>One host's registration.</summary>
    public static string Host(string fleet, string hostId) => Hosts(fleet) + hostId;

    /// <summary>The prefix of the plugins' desired state: <c>stable</c> and <c>rollout</c> per plugin.</summary>
    public static string Plugins(string fleet) => Fleet(fleet) + "plugins/";

    /// <summary>The version every host serves when no rollout admits it.</summary>
    public static string Stable(string fleet, string plugin) => Plugins(fleet) + plugin + "/stable";

    /// <summary>The plugin's rollout in progress, if any.</summary>
    public static string Rollout(string fleet, string plugin) => Plugins(fleet) + plugin + "/rollout";

    /// <summary>The prefix of every answer of one rollout.</summary>
    public static string Answers(string fleet, string plugin, string rolloutId) => Fleet(fleet) + "answers/" + plugin + "/" + rolloutId + "/";

    /// <summary>One host's one answer (ACK or NACK) for one version of one rollout: written once, create-if-absent.</summary>
    public static string Answer(string fleet, string plugin, string rolloutId, string version, string hostId) => Answers(fleet, plugin, rolloutId) + version + "/" + hostId;

    /// <summary>The key the one controller of a plugin's rollouts holds, bound to its lease.</summary>
    public static string Controller(string fleet, string plugin) => Fleet(fleet) + "controllers/" + plugin;
}
