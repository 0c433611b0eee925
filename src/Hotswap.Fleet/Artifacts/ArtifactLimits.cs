namespace Hotswap;

/// <summary>
/// The bounds an artifact must stay within, on packing and on fetching: what a host downloads and
/// extracts is capped, so a hostile or broken archive (a zip bomb, an endless download) cannot fill
/// its disk.
/// </summary>
internal static class ArtifactLimits
{
    /// <summary>The largest download accepted, and the largest total uncompressed size of an archive's files (2 GiB).</summary>
    public const long MaxBytes = 2L * 1024 * 1024 * 1024;

    /// <summary>The largest manifest accepted (16 MiB): it is read into memory to be hashed before anything else is trusted.</summary>
    public const long MaxManifestBytes = 16L * 1024 * 1024;

    /// <summary>The most entries an archive may hold.</summary>
    public const int MaxEntries = 65_536;

    /// <summary>The size of the buffer files are copied through.</summary>
    public const int BufferSize = 64 * 1024;
}
