namespace VersionedLib;

public static class Info
{
#if VERSIONEDLIB_V2
    public static string Describe() => $"VersionedLib {typeof(Info).Assembly.GetName().Version} says two";
#else
    public static string Describe() => $"VersionedLib {typeof(Info).Assembly.GetName().Version} says one";
#endif
}
