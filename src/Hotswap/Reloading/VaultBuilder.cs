namespace Hotswap;

/// <summary>Builds a generation's vault: the host's extension, the host-lifetime DataBag, and the live functions and types of every version.</summary>
internal static class VaultBuilder
{
    /// <summary>Builds the vault of generation <paramref name="number"/>.</summary>
    /// <param name="number">The generation's number.</param>
    /// <param name="extensionFactory">The host's extension factory, or <see langword="null"/>.</param>
    /// <param name="dataBag">The host's DataBag.</param>
    /// <param name="ordered">Every version of the generation, in dependency order.</param>
    /// <returns>The vault.</returns>
    /// <exception cref="PluginLoadException">The factory threw (phase Vault), or a live name is defined twice.</exception>
    public static Vault Build(long number, Func<object>? extensionFactory, DataBag dataBag, IReadOnlyList<PluginVersion> ordered)
    {
        object? extension;
        try
        {
            extension = extensionFactory?.Invoke();
        }
#pragma warning disable CA1031 // Isolation boundary: a failing host factory fails the reload, it never escapes it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            throw new PluginLoadException(SR.AllPlugins, ReloadPhase.Vault, null, SR.HookThrew("the extension factory", ex), ex);
        }

        var functions = new Dictionary<string, LiveFunctions.Entry>(StringComparer.Ordinal);
        var types = new Dictionary<string, LiveTypes.Entry>(StringComparer.Ordinal);
        foreach (PluginVersion version in ordered)
        {
            foreach ((string name, System.Reflection.MethodInfo method) in version.LiveFunctions)
            {
                if (functions.TryGetValue(name, out LiveFunctions.Entry? other))
                {
                    if (other.Method == method)
                    {
                        continue; // two static plugins from one assembly: the same member, counted once.
                    }

                    throw new PluginLoadException(version.Name, ReloadPhase.Vault, version.EntryAssemblyPath, SR.LiveNameCollision("function", name, other.PluginName));
                }

                functions.Add(name, new LiveFunctions.Entry(version.Name, method));
            }

            foreach ((string name, Type type) in version.LiveTypes)
            {
                if (types.TryGetValue(name, out LiveTypes.Entry? other))
                {
                    if (other.Type == type)
                    {
                        continue;
                    }

                    throw new PluginLoadException(version.Name, ReloadPhase.Vault, version.EntryAssemblyPath, SR.LiveNameCollision("type", name, other.PluginName));
                }

                types.Add(name, new LiveTypes.Entry(version.Name, type));
            }
        }

        return new Vault(number, extension, dataBag, new LiveFunctions(functions), new LiveTypes(types));
    }
}
