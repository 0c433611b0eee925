using System.Text.Json;

namespace Hotswap.Cli.Building;

/// <summary>
/// Tells which files of a plugin's publish output the host provides anyway, from the entry
/// assembly's deps.json: <c>Hotswap.Abstractions</c>, every referenced library whose assembly the
/// output does not contain (a contract referenced with <c>Private=false</c>), and everything those
/// depend on. Left out of the version folder, they always resolve from the host.
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

        var shared = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<string>();
        foreach ((string name, (List<string> _, List<string> runtime)) in byName)
        {
            bool notShipped = runtime.Count > 0 && runtime.TrueForAll(file => !File.Exists(Path.Combine(publishDirectory, file)));
            if (!string.Equals(name, entryAssemblyName, StringComparison.OrdinalIgnoreCase) && (notShipped || string.Equals(name, Abstractions, StringComparison.OrdinalIgnoreCase)))
            {
                pending.Push(name);
            }
        }

        while (pending.TryPop(out string? name))
        {
            if (shared.Add(name) && byName.TryGetValue(name, out var library))
            {
                library.Dependencies.ForEach(pending.Push);
            }
        }

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
