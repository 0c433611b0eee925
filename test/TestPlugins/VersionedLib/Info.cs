namespace VersionedLib;

public static class Info
{
#if VERSIONEDLIB_V2
    public static string Describe() => $"VersionedLib {typeof(Info).Assembly.GetName().Version} says two";

    /// <summary>An API only version 2 has: a plugin built against 2 that calls it fails on 1.</summary>
    public static string OnlyInTwo() => "only in two";
#else
    public static string Describe() => $"VersionedLib {typeof(Info).Assembly.GetName().Version} says one";
#endif

    /// <summary>The name of the load context this copy of the library was loaded into.</summary>
    public static string Context() => System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(typeof(Info).Assembly)?.Name ?? "(none)";
}

/// <summary>A type a contract's surface can use: whoever exchanges one needs the same copy of this library.</summary>
public sealed class Note(string text)
{
    public string Text { get; } = text;
}
