namespace Hotswap.SideBySide.Dependency;

/// <summary>Which build of this assembly was loaded.</summary>
public static class Stamp
{
    /// <summary>Gets the build of this assembly (1 or 2).</summary>
    /// <returns>The build number.</returns>
    public static int Build()
    {
#if SIDE_BUILD_1
        return 1;
#else
        return 2;
#endif
    }
}
