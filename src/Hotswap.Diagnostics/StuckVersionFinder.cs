using System.Globalization;
using Microsoft.Diagnostics.Runtime;
using Microsoft.Diagnostics.Runtime.Interfaces;

namespace Hotswap.Diagnostics;

/// <summary>The heap in a dump cannot be walked: the process was dumped in the middle of a garbage collection. Another dump may be walkable.</summary>
internal sealed class HeapNotWalkableException(string message) : InvalidOperationException(message);

/// <summary>
/// Reads a dump of a host and finds every plugin version that was unloaded and is still alive, with
/// the shortest chain of references from a real GC root to it.
/// </summary>
/// <remarks>
/// <para>
/// A version is a <c>Hotswap.PluginLoadContext</c> object (named <c>plugin@version</c>) whose
/// <c>AssemblyLoadContext._state</c> is <c>Unloading</c>: <c>Unload()</c> was called. Such an object
/// stays on the heap until the runtime has collected the context's <c>LoaderAllocator</c>, which
/// happens once nothing holds an object of the context's types, a <c>RuntimeType</c> of them, a
/// delegate to their code, the allocator itself, or a thread runs their code. The version is listed
/// as stuck when a root reaches one of those; an unloaded context that no root reaches is being
/// collected and is not listed.
/// </para>
/// <para>
/// Roots, in the order the breadth-first search takes them (so that, of chains of one length, the
/// most telling root wins): threads with a frame of the version's code; static fields of every type
/// outside the stuck versions, by name; then the runtime's roots (strong and pinned handles, stack
/// slots, the finalizer queue, static storage). Not real roots, and left out: the strong handle the
/// runtime keeps on an unloading context itself (and everything reached only through that context
/// object: its <c>Unloading</c> handlers), and whatever lives inside a stuck version (its statics and
/// own handles hold it only while it is held from outside).
/// </para>
/// </remarks>
internal sealed class StuckVersionFinder
{
    private const string PluginContextType = "Hotswap.PluginLoadContext";
    private const int UnloadingState = 1;

    private readonly ClrRuntime _runtime;
    private readonly ClrHeap _heap;
    private readonly Dictionary<ulong, Context> _stuckByContext = [];
    private readonly Dictionary<ulong, Context> _stuckByAllocator = [];
    private readonly Dictionary<ulong, Context?> _typeContexts = [];
    private ulong _runtimeTypeMethodTable;
    private readonly CancellationToken _cancel;
    private Dictionary<ulong, List<ulong>>? _dependents;

    private StuckVersionFinder(ClrRuntime runtime, CancellationToken cancel)
    {
        _runtime = runtime;
        _heap = runtime.Heap;
        _cancel = cancel;
    }

    /// <summary>Reads a dump file.</summary>
    /// <param name="dumpPath">A full or heap dump of a .NET 10 host.</param>
    /// <param name="plugin">Only this plugin's versions, or every plugin's when null.</param>
    /// <param name="cancellationToken">Stops the search.</param>
    /// <returns>What was found.</returns>
    /// <exception cref="InvalidOperationException">The dump holds no .NET runtime, or its heap cannot be walked.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public static DiagnoseFindings Find(string dumpPath, string? plugin, CancellationToken cancellationToken = default)
    {
        using DataTarget target = DataTarget.LoadDump(dumpPath);
        ClrInfo clr = target.ClrVersions.FirstOrDefault() ?? throw new InvalidOperationException($"The dump '{dumpPath}' holds no .NET runtime.");
        using ClrRuntime runtime = CreateRuntime(clr);
        if (!runtime.Heap.CanWalkHeap)
        {
            throw new HeapNotWalkableException($"The heap in the dump '{dumpPath}' cannot be walked (the process was taken in the middle of a garbage collection); run diagnose again.");
        }

        return new StuckVersionFinder(runtime, cancellationToken).Find(plugin);
    }

    /// <summary>
    /// The runtime of the dump, read with the DAC next to the dumped process's runtime (where ClrMD
    /// looks first), or else with this process's own when it is the same build: the tool and the host
    /// run on one machine, and ClrMD does not download a DAC on Linux.
    /// </summary>
    private static ClrRuntime CreateRuntime(ClrInfo clr)
    {
        try
        {
            return clr.CreateRuntime();
        }
        catch (Exception ex) when (ex is InvalidOperationException or FileNotFoundException or ClrDiagnosticsException)
        {
            // A heap dump (no image pages) often leaves ClrMD without the runtime's version (0.0), so it
            // cannot match a DAC by version: the DAC beside the very libcoreclr the process ran is the right one.
            string dacName = OperatingSystem.IsWindows() ? "mscordaccore.dll" : OperatingSystem.IsMacOS() ? "libmscordaccore.dylib" : "libmscordaccore.so";
            string beside = Path.Combine(Path.GetDirectoryName(clr.ModuleInfo.FileName) ?? "", dacName);
            if (File.Exists(beside))
            {
                return clr.CreateRuntime(beside, ignoreMismatch: true);
            }

            throw new InvalidOperationException($"No debugging library (DAC) of .NET {clr.Version} to read the dump with: {Text.OneLine(ex.Message)} Run diagnose with the same .NET runtime as the host.", ex);
        }
    }

    private DiagnoseFindings Find(string? plugin)
    {
        var loaded = new List<string>();
        foreach (ClrObject context in _heap.EnumerateObjects().Where(static o => o.Type?.Name == PluginContextType))
        {
            string name = context.ReadStringField("_name") ?? "";
            int at = name.IndexOf('@', StringComparison.Ordinal);
            var found = new Context(context.Address, at < 0 ? name : name[..at], at < 0 ? "" : name[(at + 1)..]);
            if (plugin is not null && !string.Equals(found.Plugin, plugin, StringComparison.Ordinal))
            {
                continue;
            }

            if (context.ReadField<int>("_state") == UnloadingState)
            {
                _stuckByContext[context.Address] = found;
            }
            else
            {
                loaded.Add(found.Name);
            }
        }

        if (_stuckByContext.Count == 0)
        {
            return new DiagnoseFindings([], loaded, []);
        }

        FindAllocators();
        Dictionary<Context, RetentionChain> chains = Search();
        var stuck = new List<StuckVersion>();
        var collecting = new List<string>();
        foreach (Context context in _stuckByContext.Values.OrderBy(static c => c.Name, StringComparer.Ordinal))
        {
            if (chains.TryGetValue(context, out RetentionChain? chain))
            {
                stuck.Add(new StuckVersion(context.Plugin, context.Version, "0x" + context.Address.ToString("x", CultureInfo.InvariantCulture), chain));
            }
            else
            {
                collecting.Add(context.Name);
            }
        }

        return new DiagnoseFindings(stuck, loaded, collecting);
    }

    /// <summary>The managed <c>LoaderAllocator</c> of each stuck context, read from the handle of any of its types.</summary>
    private void FindAllocators()
    {
        foreach (ClrModule module in _runtime.EnumerateModules())
        {
            foreach ((ulong methodTable, int _) in module.EnumerateTypeDefToMethodTableMap())
            {
                if (_runtime.GetTypeByMethodTable(methodTable) is { IsCollectible: true } type && ContextOf(type) is { } context && type.LoaderAllocatorHandle != 0
                    && _runtime.DataTarget.DataReader.ReadPointer(type.LoaderAllocatorHandle) is var allocator and not 0)
                {
                    _stuckByAllocator.TryAdd(allocator, context);
                }
            }
        }
    }

    private Context? ContextOf(ClrType? type)
    {
        if (type is null || !type.IsCollectible)
        {
            return null;
        }

        if (!_typeContexts.TryGetValue(type.MethodTable, out Context? context))
        {
            context = _stuckByContext.GetValueOrDefault(type.AssemblyLoadContextAddress);
            _typeContexts[type.MethodTable] = context;
        }

        return context;
    }

    private bool IsRuntimeType(ClrType type)
    {
        if (_runtimeTypeMethodTable == 0 && type.Name == "System.RuntimeType")
        {
            _runtimeTypeMethodTable = type.MethodTable;
        }

        return type.MethodTable == _runtimeTypeMethodTable;
    }

    /// <summary>The stuck version an object belongs to: an object of its types, a RuntimeType of one, or its LoaderAllocator.</summary>
    private Context? Owner(ClrObject obj, out string? detail)
    {
        detail = null;
        if (obj.Type is not { } type)
        {
            return null;
        }

        if (ContextOf(type) is { } context)
        {
            return context;
        }

        if (_stuckByAllocator.TryGetValue(obj.Address, out context))
        {
            detail = "the version's LoaderAllocator";
            return context;
        }

        if (IsRuntimeType(type) && obj.TryReadField("m_handle", out nint handle) && _runtime.GetTypeByMethodTable((ulong)handle) is { } represented && ContextOf(represented) is { } owner)
        {
            detail = "typeof(" + represented.Name + ")";
            return owner;
        }

        return null;
    }

    private Dictionary<Context, RetentionChain> Search()
    {
        var chains = new Dictionary<Context, RetentionChain>();

        // Threads running the version's code hold it whatever the heap says.
        foreach (ClrThread thread in _runtime.Threads.Where(static t => t.IsAlive))
        {
            foreach (ClrStackFrame frame in thread.EnumerateStackTrace())
            {
                if (frame.Method is { } method && ContextOf(method.Type) is { } context && !chains.ContainsKey(context))
                {
                    string root = $"thread {thread.ManagedThreadId} (OS thread {thread.OSThreadId}) in {method.Type?.Name}.{method.Name}";
                    chains[context] = new RetentionChain("thread-stack", root, [new ChainLink(method.Type?.Name ?? "?", null, method.Name, Assembly(method.Type), context.Name)]);
                }
            }
        }

        // Lasting roots first (static fields by name, handles, the runtime's static storage); only for
        // a version none of them reaches, the transient ones too (stack slots, the finalizer queue).
        // Without that order a chain of the same length through a local that happens to reach the
        // same list (a pending timer of the host's own, say) could be named instead of the static.
        var lasting = new List<(ulong Address, string Kind, string Root)>();
        var transient = new List<(ulong Address, string Kind, string Root)>();
        foreach ((ClrType type, ClrStaticField field) in StaticFields())
        {
            foreach (ClrAppDomain domain in _runtime.AppDomains)
            {
                if (field.IsInitialized(domain))
                {
                    lasting.Add((field.ReadObject(domain).Address, "static-field", $"static field {type.Name}.{MemberName(field.Name)}"));
                }
            }
        }

        foreach ((ClrObject obj, string kind, string words) in Roots())
        {
            (kind is "thread-stack" or "finalizer-queue" ? transient : lasting).Add((obj.Address, kind, words));
        }

        Search(lasting, chains);
        if (chains.Count < _stuckByContext.Count)
        {
            Search([.. lasting, .. transient], chains);
        }

        return chains;
    }

    /// <summary>One breadth-first search from these roots, in their order, adding a chain for each stuck version reached that has none yet.</summary>
    private void Search(List<(ulong Address, string Kind, string Root)> roots, Dictionary<Context, RetentionChain> chains)
    {
        var parents = new Dictionary<ulong, ulong>();
        var sources = new Dictionary<ulong, (string Kind, string Root)>();
        var queue = new Queue<ulong>();
        foreach ((ulong address, string kind, string root) in roots)
        {
            if (address != 0 && !_stuckByContext.ContainsKey(address) && sources.TryAdd(address, (kind, root)))
            {
                parents[address] = 0;
                queue.Enqueue(address);
            }
        }

        int visited = 0;
        while (queue.Count > 0 && chains.Count < _stuckByContext.Count)
        {
            if ((++visited & 0xFFFF) == 0)
            {
                _cancel.ThrowIfCancellationRequested();
            }

            ulong address = queue.Dequeue();
            ClrObject obj = _heap.GetObject(address);
            if (Owner(obj, out _) is { } context)
            {
                // The first object of the version on this path: the chain ends here, and nothing beyond it is searched.
                chains.TryAdd(context, Chain(address, parents, sources));
                continue;
            }

            if (!obj.IsValid || !obj.ContainsPointers)
            {
                continue;
            }

            // Addresses only, which is cheap; the fields are named for the few objects of a chain (Chain).
            // Dependent handles (ConditionalWeakTable) from a map built once: ClrMD's own lookup per object costs a hundredfold.
            foreach (ulong next in obj.EnumerateReferenceAddresses(carefully: false, considerDependantHandles: false).Concat(Dependents(address)))
            {
                if (next == 0 || _stuckByContext.ContainsKey(next) || !parents.TryAdd(next, address))
                {
                    continue;
                }

                queue.Enqueue(next);
            }
        }
    }

    /// <summary>
    /// The runtime's roots: strong handles (strong, pinned, async pinned, sized, ref-counted above
    /// zero; not ClrMD's <c>EnumerateRoots</c>, which also takes handle kinds it does not know, such as
    /// the runtime's kind 10, weak interior pointers, for strong ones), stack slots, the finalizer
    /// queue and the runtime's static storage.
    /// </summary>
    private IEnumerable<(ClrObject Object, string Kind, string Words)> Roots()
    {
        foreach (ClrHandle handle in _runtime.EnumerateHandles())
        {
            (string Kind, string Words)? root = handle.HandleKind switch
            {
                ClrHandleKind.Strong => ("strong-handle", "strong GC handle"),
                ClrHandleKind.Pinned => ("pinned-handle", "pinned GC handle"),
                ClrHandleKind.AsyncPinned => ("pinned-handle", "async pinned GC handle (overlapped I/O)"),
                ClrHandleKind.SizedRef => ("other-handle", "sized-ref GC handle"),
                ClrHandleKind.RefCounted when handle.ReferenceCount > 0 => ("other-handle", "ref-counted GC handle (COM)"),
                _ => null,
            };
            if (root is { } r && !handle.Object.IsNull)
            {
                yield return (handle.Object, r.Kind, r.Words);
            }
        }

        foreach (ClrThread thread in _runtime.Threads.Where(static t => t.IsAlive))
        {
            foreach (ClrRoot root in thread.EnumerateStackRoots())
            {
                if (!root.Object.IsNull)
                {
                    yield return (root.Object, "thread-stack", StackWords(root, thread));
                }
            }
        }

        foreach (ClrRoot root in _heap.EnumerateFinalizerRoots())
        {
            yield return (root.Object, "finalizer-queue", $"the finalizer queue ({root.Object.Type?.Name} waiting to be finalized)");
        }

        foreach (ClrRoot root in _heap.EnumerateAdditionalRoots())
        {
            if (!root.Object.IsNull && Owner(root.Object, out _) is null)
            {
                yield return (root.Object, "static-storage", "the runtime's static storage");
            }
        }
    }

    /// <summary>Every static field of a reference type of every type outside the stuck versions.</summary>
    private IEnumerable<(ClrType Type, ClrStaticField Field)> StaticFields()
    {
        foreach (ClrModule module in _runtime.EnumerateModules())
        {
            foreach (ClrType type in module.EnumerateTypesWithStaticFields())
            {
                if (ContextOf(type) is not null)
                {
                    continue;
                }

                foreach (ClrStaticField field in type.StaticFields)
                {
                    if (field.IsObjectReference)
                    {
                        yield return (type, field);
                    }
                }
            }
        }
    }

    private RetentionChain Chain(ulong end, Dictionary<ulong, ulong> parents, Dictionary<ulong, (string Kind, string Root)> sources)
    {
        var links = new List<ChainLink>();
        ulong at = end;
        while (true)
        {
            ulong parent = parents[at];
            string? via = parent == 0 ? null : ViaFrom(parent, at);
            ClrObject obj = _heap.GetObject(at);
            Context? owner = Owner(obj, out string? detail);
            detail ??= Detail(obj);
            links.Add(new ChainLink(obj.Type?.Name ?? "?", via, detail, owner is not null || IsHostType(obj.Type) ? Assembly(obj.Type) : null, owner?.Name));
            if (parent == 0)
            {
                (string kind, string root) = sources[at];
                links.Reverse();
                return new RetentionChain(kind, root, links);
            }

            at = parent;
        }
    }

    private string? Detail(ClrObject obj)
    {
        if (!obj.IsDelegate)
        {
            return null;
        }

        ClrDelegate @delegate = obj.AsDelegate();
        if (@delegate.HasMultipleTargets)
        {
            return $"{@delegate.EnumerateDelegateTargets().Count()} handlers";
        }

        if (@delegate.GetDelegateTarget() is { Method: { } method })
        {
            return $"calls {method.Type?.Name}.{method.Name}";
        }

        return null;
    }

    /// <summary>What the object keeps alive through dependent handles (a ConditionalWeakTable's values for its keys).</summary>
    private IEnumerable<ulong> Dependents(ulong address)
    {
        if (_dependents is null)
        {
            _dependents = [];
            foreach (ClrHandle handle in _runtime.EnumerateHandles().Where(static h => h.HandleKind == ClrHandleKind.Dependent && !h.Object.IsNull && !h.Dependent.IsNull))
            {
                if (!_dependents.TryGetValue(handle.Object.Address, out List<ulong>? secondaries))
                {
                    _dependents[handle.Object.Address] = secondaries = [];
                }

                secondaries.Add(handle.Dependent.Address);
            }
        }

        return _dependents.TryGetValue(address, out List<ulong>? found) ? found : [];
    }

    /// <summary>The field (or array element) of <paramref name="parent"/> that references <paramref name="child"/>.</summary>
    private string? ViaFrom(ulong parent, ulong child)
    {
        ClrObject from = _heap.GetObject(parent);
        foreach (ClrReference reference in from.EnumerateReferencesWithFields(carefully: false, considerDependantHandles: false))
        {
            if (reference.Object.Address == child)
            {
                return Via(from, reference);
            }
        }

        return Dependents(parent).Contains(child) ? "dependent handle (ConditionalWeakTable)" : null;
    }

    private static string? Via(ClrObject from, ClrReference reference)
    {
        if (reference.IsDependentHandle)
        {
            return "dependent handle (ConditionalWeakTable)";
        }

        if (reference.IsArrayElement && from.Type is { ComponentSize: > 0 } arrayType)
        {
            int index = (int)((ulong)reference.Offset / (ulong)arrayType.ComponentSize);
            return reference.InnerField is { Field: { } inner } ? $"[{index}].{MemberName(inner.Name)}" : $"[{index}]";
        }

        if (reference.Field is { } field)
        {
            return reference.InnerField is { Field: { } innerField } ? $"{MemberName(field.Name)}.{MemberName(innerField.Name)}" : MemberName(field.Name);
        }

        return null;
    }

    private static string StackWords(ClrRoot root, ClrThread thread)
    {
        IClrStackFrame? frame = ((IClrRoot)root).StackFrame;
        string method = frame?.Method is { } m ? $"{m.Type?.Name}.{m.Name}" : frame?.FrameName ?? "an unknown frame";
        return $"thread {thread.ManagedThreadId} (OS thread {thread.OSThreadId}) stack in {method}";
    }

    /// <summary>An auto-property's backing field (<c>&lt;Items&gt;k__BackingField</c>) by the property's name.</summary>
    private static string MemberName(string? name)
    {
        if (name is null)
        {
            return "?";
        }

        return name.StartsWith('<') && name.IndexOf(">k__BackingField", StringComparison.Ordinal) is > 1 and var end ? name[1..end] : name;
    }

    private static bool IsHostType(ClrType? type)
        => type?.Module?.Name is { } name && !Path.GetFileName(name).StartsWith("System.", StringComparison.Ordinal) && !Path.GetFileName(name).StartsWith("Microsoft.", StringComparison.Ordinal);

    private static string? Assembly(ClrType? type) => type?.Module?.Name is { Length: > 0 } name ? Path.GetFileName(name) : type?.Module?.AssemblyName;

    private sealed record Context(ulong Address, string Plugin, string Version)
    {
        public string Name => $"{Plugin}@{Version}";
    }
}
