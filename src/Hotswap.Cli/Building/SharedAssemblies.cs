using System.Text.Json;

namespace Hotswap.Cli.Building;

/// <summary>
/// Tells which files of a plugin's publish output the host provides anyway, from the entry
/// assembly's deps.json: every library the plugin does not itself depend on, where the walk stops at
/// <c>Hotswap.Abstractions</c> and at libraries whose assembly the output does not contain (a
/// contract referenced with <c>Private="false"</c>). Left out of the version folder, they always
/// resolve from the host, which shares them anyway.
/// </summary>
internal static class SharedAssemblies
{
    private const string Abstractions = "Hotswap.Abstractions";

    public static IReadOnlyList<string> FilesToLeaveOut(string publishDirectory, string entryAssemblyName)
    {
        string depsFile = Path.Combine(publishDirectory, entryAssemblyName + ".deps.json");
        if (!File.Exists(depsFile))
        {
            return [];
        }

        using JsonDocument deps = JsonDocument.Parse(File.ReadAllText(depsFile));
        if (!deps.RootElement.TryGetProperty("targets", out JsonElement targets))
        {
            return [];
        }

        JsonElement libraries = targets.EnumerateObject().First().Value;
        var byName = new Dictionary<string, (List<string> Dependencies, List<string> RuntimeFiles)>(StringComparer.OrdinalIgnoreCase);
        foreach (JsonProperty library in libraries.EnumerateObject())
        {
            string name = library.Name.Split('/')[0];
            var dependencies = new List<string>();
            if (library.Value.TryGetProperty("dependencies", out JsonElement dependencyList))
            {
                dependencies.AddRange(dependencyList.EnumerateObject().Select(static d => d.Name));
            }

            var runtime = new List<string>();
            if (library.Value.TryGetProperty("runtime", out JsonElement runtimeList))
            {
                runtime.AddRange(runtimeList.EnumerateObject().Select(static r => Path.GetFileName(r.Name)));
            }

            byName[name] = (dependencies, runtime);
        }

        // What the plugin itself needs: everything reachable from its own library, not going through
        // a shared library (Hotswap.Abstractions, or one whose assembly the output does not contain).
        bool IsShared(string name) => string.Equals(name, Abstractions, StringComparison.OrdinalIgnoreCase)
            || (byName.TryGetValue(name, out var library) && library.RuntimeFiles.Count > 0
                && library.RuntimeFiles.TrueForAll(file => !File.Exists(Path.Combine(publishDirectory, file))));
        var needed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<string>();
        pending.Push(entryAssemblyName);
        while (pending.TryPop(out string? name))
        {
            if ((needed.Count == 0 || !IsShared(name)) && needed.Add(name) && byName.TryGetValue(name, out var library))
            {
                library.Dependencies.ForEach(pending.Push);
            }
        }

        // The rest came with shared references (with Private="false", deps.json lists them without a
        // parent): the host provides them.
        var shared = byName.Keys.Where(name => !needed.Contains(name)).ToHashSet(StringComparer.OrdinalIgnoreCase);

        var files = new List<string>();
        foreach (string name in shared)
        {
            if (byName.TryGetValue(name, out var library))
            {
                foreach (string file in library.RuntimeFiles)
                {
                    string stem = Path.GetFileNameWithoutExtension(file);
                    files.AddRange(new[] { file, stem + ".pdb", stem + ".xml" }.Where(f => File.Exists(Path.Combine(publishDirectory, f))));
                }
            }
        }

        files.Sort(StringComparer.OrdinalIgnoreCase);
        return files;
    }
}
