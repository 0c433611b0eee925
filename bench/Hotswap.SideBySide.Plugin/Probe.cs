using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using Hotswap.SideBySide.Contracts;

namespace Hotswap.SideBySide.Probes;

/// <summary>
/// The exported probe, the same type for both libraries. It opens its connection when created and
/// closes it in <see cref="Dispose"/>, the plugin's cleanup.
/// </summary>
public sealed class Probe : ISideProbe, IDisposable
{
    private const string DependencyName = "Hotswap.SideBySide.Dependency";

    private readonly ProbeConnection _connection = new(BuildNumber);

    private static int BuildNumber =>
#if SIDE_BUILD_1
        1;
#else
        2;
#endif

    /// <inheritdoc/>
    public int Add(int a, int b) => a + b;

    /// <inheritdoc/>
    public int Build() => BuildNumber;

    /// <inheritdoc/>
    public async Task<SideAnswer> ServeAsync(int beforeMs, Task gate, int afterMs, bool connectionFirst)
    {
        ArgumentNullException.ThrowIfNull(gate);
        int start = BuildNumber;
        await Task.Delay(beforeMs).ConfigureAwait(false);
        await gate.ConfigureAwait(false);
        await Task.Delay(afterMs).ConfigureAwait(false);

        int connection = connectionFirst ? _connection.Write(start) : 0;
        bool late = !IsDependencyLoaded();
        int dependency = DependencyBuild<int>();
        if (!connectionFirst)
        {
            connection = _connection.Write(start);
        }

        return new SideAnswer(start, dependency, late, connection, BuildNumber);
    }

    /// <summary>Closes the connection: the plugin's cleanup.</summary>
    public void Dispose() => _connection.Dispose();

    private static bool IsDependencyLoaded()
        => AssemblyLoadContext.GetLoadContext(typeof(Probe).Assembly)?.Assemblies.Any(a => a.GetName().Name == DependencyName) ?? false;

    // The only code that references the dependency. Generic and never inlined, so that nothing
    // compiles it (and so loads the dependency) before its first call: Hotswap's Precompile step
    // compiles non-generic methods only, and McMaster.NETCore.Plugins compiles nothing ahead.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int DependencyBuild<T>() => Dependency.Stamp.Build();
}
