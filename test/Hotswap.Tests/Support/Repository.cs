namespace Hotswap.Tests.Support;

/// <summary>Finds the repository from the test binaries (source paths may be mapped in CI builds).</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Hotswap.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Cannot find the repository root (Hotswap.slnx) above {AppContext.BaseDirectory}.");
    }
}
