using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>Steps 2 and 3 of a reload for one plugin: verify the version folder, load it, create the plugin.</summary>
internal static class PluginLoader
{
    /// <summary>Checks the folder and every assembly the plugin needs. Throws <see cref="PluginLoadException"/> (phase Verify).</summary>
    public static PluginVersion Verify(DiscoveredPlugin plugin, HostAssemblies host, TrustedKeySet? trustedKeys, CancellationToken cancellationToken)
    {
        VerificationResult result = PluginVerifier.Verify(plugin.VersionDirectory, trustedKeys, cancellationToken);
        if (!result.IsValid)
        {
            VerificationProblem first = result.Problems[0];
            throw new PluginLoadException(plugin.Name, ReloadPhase.Verify, first.FilePath, SR.WithMore(first.Message, result.Problems.Count - 1));
        }

        PluginManifest manifest = result.Manifest!; // a valid result always has its manifest.
        string manifestPath = Path.Combine(plugin.VersionDirectory, PluginManifest.FileName);
        if (!string.Equals(manifest.Name, plugin.Name, StringComparison.Ordinal))
        {
            throw new PluginLoadException(plugin.Name, ReloadPhase.Verify, manifestPath, SR.ManifestNameMismatch(manifest.Name, plugin.Name));
        }

        string entry = PluginLayout.ResolveInside(plugin.VersionDirectory, manifest.EntryAssembly)!; // verified above.
        VerifiedFiles files = VerifiedFiles.From(plugin.Name, plugin.VersionDirectory, manifest);
        (System.Runtime.Loader.AssemblyDependencyResolver resolver, IReadOnlySet<string> shared, IReadOnlySet<string> privately) = CheckDependencies(plugin.Name, entry, host, files);

        // The resolver read deps.json once; the load context reuses it rather than reading it again.
        // The file list the folder verified with stays on the version: every later load checks its bytes against it.
        return new PluginVersion(plugin.Name, plugin.Version, entry) { Resolver = resolver, Files = files, Shared = shared, Private = privately, Sequence = trustedKeys is null ? null : manifest.Sequence };
    }

    /// <summary>
    /// Walks the assembly references from the entry assembly without loading anything, and decides
    /// where each comes from (docs/concepts.md, "What is shared"): the host's copy for what must be
    /// shared (the framework, <c>Hotswap.Abstractions</c>, contracts, the assemblies their public
    /// surface uses, what the host forces) and for what the plugin needs but does not ship; the
    /// version folder, through deps.json, for everything else. Each assembly taken from the host must
    /// be at a version no lower than the plugin was built against.
    /// </summary>
    /// <returns>The resolver, the simple names of the assemblies the version gets from the host (the framework's aside), and of those it loads from its folder.</returns>
    private static (System.Runtime.Loader.AssemblyDependencyResolver Resolver, IReadOnlySet<string> Shared, IReadOnlySet<string> Private) CheckDependencies(string pluginName, string entry, HostAssemblies host, VerifiedFiles files)
    {
        AssemblyDependencyResolverHandle resolver = AssemblyDependencyResolverHandle.Create(pluginName, entry);
        var visited = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var fromHost = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase); // name -> why it must be shared (null: needed, not shipped)
        var built = new Dictionary<string, (Version Version, string By)>(StringComparer.OrdinalIgnoreCase); // the highest version referenced, and by which file
        var pending = new Queue<string>();
        pending.Enqueue(entry);
        while (pending.TryDequeue(out string? path))
        {
            AssemblyMetadata metadata;
            try
            {
                metadata = AssemblyMetadata.Read(path);
            }
            catch (BadImageFormatException ex)
            {
                throw new PluginLoadException(pluginName, ReloadPhase.Verify, path, SR.NotAnAssembly(ex), ex);
            }

            foreach (AssemblyName reference in metadata.References)
            {
                if (reference.Name is null)
                {
                    continue;
                }

                if (reference.Version is { } wanted && (!built.TryGetValue(reference.Name, out var known) || wanted > known.Version))
                {
                    built[reference.Name] = (wanted, path);
                }

                if (!visited.Add(reference.Name))
                {
                    continue;
                }

                if (host.IsFramework(reference.Name))
                {
                    fromHost[reference.Name] = SR.SharedFramework;
                    continue;
                }

                if (host.MustShare(reference.Name) is { } why && host.TryGetVersion(reference.Name, out _))
                {
                    fromHost[reference.Name] = why;
                    continue;
                }

                string? privatePath = resolver.Resolve(reference);
                if (privatePath is null)
                {
                    if (host.TryGetVersion(reference.Name, out _))
                    {
                        fromHost[reference.Name] = null; // not shipped: the host's copy, as it is
                        continue;
                    }

                    throw new PluginLoadException(pluginName, ReloadPhase.Verify, resolver.DepsJsonPath, SR.DependencyMissing(reference, Path.GetFileName(path)));
                }

                if (!files.Lists(privatePath))
                {
                    // deps.json may point anywhere; only a file the manifest lists (and so was hashed) can load.
                    throw new PluginLoadException(pluginName, ReloadPhase.Verify, privatePath, SR.DependencyNotListed(reference, resolver.DepsJsonPath));
                }

                pending.Enqueue(privatePath);
            }
        }

        // What the host's copies expose must be the host's too: an assembly whose types appear in the
        // public surface of one taken from the host is shared, whether or not the plugin ships it.
        var surfaces = new Queue<string>(fromHost.Where(static p => p.Value != SR.SharedFramework).Select(static p => p.Key));
        while (surfaces.TryDequeue(out string? shared))
        {
            foreach ((string used, string type) in host.SurfaceOf(shared))
            {
                if ((fromHost.TryGetValue(used, out string? why) && why is not null) || !host.TryGetVersion(used, out _))
                {
                    continue; // shared already; or the host has none, so there is nothing to share
                }

                fromHost[used] = SR.SharedSurface(used, shared, type);
                surfaces.Enqueue(used);
            }
        }

        foreach ((string name, string? why) in fromHost)
        {
            if (built.TryGetValue(name, out var wanted) && host.TryGetVersion(name, out Version? hostVersion) && hostVersion is not null && wanted.Version > hostVersion)
            {
                throw new PluginLoadException(pluginName, ReloadPhase.Verify, wanted.By, SR.SharedVersionTooHigh(name, wanted.Version, hostVersion, why));
            }
        }

        HashSet<string> fromHostNames = fromHost.Where(static p => p.Value != SR.SharedFramework).Select(static p => p.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return (resolver.Resolver, fromHostNames, visited.Where(name => !fromHost.ContainsKey(name)).ToHashSet(StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Creates the collectible context, loads the entry assembly and creates the plugin.
    /// Not inlined and not async, so no frame or state machine keeps plugin types alive.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Load(PluginVersion version, HostAssemblies host, ILogger logger)
    {
        string entry = version.EntryAssemblyPath;
        VerifiedFiles files = version.Files ?? throw new InvalidOperationException(SR.NotVerified(version.Info));
        var context = new PluginLoadContext(version.Name, version.Version, entry, files, host, logger, version.Resolver, version.Shared, version.Private);
        version.Resolver = null;
        version.LoadContext = context;
        Assembly assembly;
        try
        {
            assembly = context.LoadVerified(entry);
        }
        catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or IOException)
        {
            throw new PluginLoadException(version.Name, ReloadPhase.Load, entry, SR.LoadFailed(ex), ex);
        }

        HotswapPluginAttribute? attribute;
        try
        {
            attribute = assembly.GetCustomAttribute<HotswapPluginAttribute>();
        }
#pragma warning disable CA1031 // Isolation boundary: whatever reading the attribute throws (a type it names cannot load) refuses the plugin.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            throw new PluginLoadException(version.Name, ReloadPhase.Load, entry, SR.AttributeUnreadable(ex), ex);
        }

        if (attribute is null)
        {
            throw new PluginLoadException(version.Name, ReloadPhase.Load, entry, SR.NoPluginAttribute(assembly.GetName().Name));
        }

        Type type = attribute.PluginType;
        if (!typeof(Plugin).IsAssignableFrom(type))
        {
            throw new PluginLoadException(version.Name, ReloadPhase.Load, entry, SR.NotAPluginType(type));
        }

        if (type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null)
        {
            throw new PluginLoadException(version.Name, ReloadPhase.Load, entry, SR.NoUsableConstructor(type));
        }

        Inspect(version, type);
        try
        {
            version.Instance = (Plugin)Activator.CreateInstance(type)!; // a public parameterless constructor was found above.
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw new PluginLoadException(version.Name, ReloadPhase.Construct, entry, SR.HookThrew($"the constructor of '{type.FullName}'", ex.InnerException), ex.InnerException);
        }
    }

    /// <summary>Creates a static plugin: compiled into the host, no load context, same lifecycle.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static PluginVersion LoadStatic(StaticPluginRegistration registration)
    {
        string entry = registration.PluginType.Assembly.Location;
        var version = new PluginVersion(registration.Name, StaticPluginRegistration.Version, entry, isStatic: true);
        Inspect(version, registration.PluginType);
        try
        {
            version.Instance = registration.Factory();
        }
#pragma warning disable CA1031 // Isolation boundary: plugin code fails the reload, it never escapes it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            throw new PluginLoadException(version.Name, ReloadPhase.Construct, entry, SR.HookThrew($"the constructor of '{registration.PluginType.FullName}'", ex), ex);
        }

        return version;
    }

    /// <summary>Reads the plugin class's imports and the assembly's live functions and live types. Throws (phase Load) on a misuse.</summary>
    private static void Inspect(PluginVersion version, Type pluginType)
    {
        string entry = version.EntryAssemblyPath;
        var imports = new List<(string, PropertyInfo)>();
        for (Type? type = pluginType; type is not null && type != typeof(Plugin); type = type.BaseType)
        {
            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            {
                if (property.GetCustomAttribute<ImportAttribute>() is not { } import)
                {
                    continue;
                }

                if (property.SetMethod is null)
                {
                    throw new PluginLoadException(version.Name, ReloadPhase.Load, entry, SR.ImportWithoutSetter(property));
                }

                imports.Add((import.PluginName, property));
            }
        }

        Type[] types;
        try
        {
            types = pluginType.Assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            throw new PluginLoadException(version.Name, ReloadPhase.Load, entry, SR.TypesUnloadable(ex), ex);
        }

        var functions = new List<(string, MethodInfo)>();
        var liveTypes = new List<(string, Type)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Type type in types)
        {
            if (type.GetCustomAttribute<LiveTypeAttribute>() is { } liveType)
            {
                if (type.IsAbstract || type.IsGenericTypeDefinition)
                {
                    throw new PluginLoadException(version.Name, ReloadPhase.Load, entry, SR.LiveTypeNotCreatable(liveType.Name, type));
                }

                if (!names.Add("type:" + liveType.Name))
                {
                    throw new PluginLoadException(version.Name, ReloadPhase.Load, entry, SR.LiveNameTwice("type", liveType.Name));
                }

                liveTypes.Add((liveType.Name, type));
            }

            foreach (MethodInfo method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            {
                if (method.GetCustomAttribute<LiveFunctionAttribute>() is not { } liveFunction)
                {
                    continue;
                }

                if (!method.IsStatic || method.IsGenericMethodDefinition || type.IsGenericTypeDefinition)
                {
                    throw new PluginLoadException(version.Name, ReloadPhase.Load, entry, SR.LiveFunctionNotStatic(liveFunction.Name, method));
                }

                if (!names.Add("function:" + liveFunction.Name))
                {
                    throw new PluginLoadException(version.Name, ReloadPhase.Load, entry, SR.LiveNameTwice("function", liveFunction.Name));
                }

                functions.Add((liveFunction.Name, method));
            }
        }

        version.Describe(imports, functions, liveTypes);
    }

    /// <summary>Creating a resolver reads deps.json; a broken one is a Verify failure that names it.</summary>
    private readonly struct AssemblyDependencyResolverHandle
    {
        private readonly System.Runtime.Loader.AssemblyDependencyResolver _resolver;

        private AssemblyDependencyResolverHandle(System.Runtime.Loader.AssemblyDependencyResolver resolver, string depsJsonPath)
        {
            _resolver = resolver;
            DepsJsonPath = depsJsonPath;
        }

        public string DepsJsonPath { get; }

        public System.Runtime.Loader.AssemblyDependencyResolver Resolver => _resolver;

        public static AssemblyDependencyResolverHandle Create(string pluginName, string entry)
        {
            string deps = Path.ChangeExtension(entry, ".deps.json");
            try
            {
                return new AssemblyDependencyResolverHandle(new System.Runtime.Loader.AssemblyDependencyResolver(entry), deps);
            }
            catch (InvalidOperationException ex)
            {
                throw new PluginLoadException(pluginName, ReloadPhase.Verify, deps, SR.DepsJsonUnreadable(ex), ex);
            }
        }

        public string? Resolve(AssemblyName name)
        {
            string? path = _resolver.ResolveAssemblyToPath(name);
            return path is not null && File.Exists(path) ? path : null;
        }
    }
}
