using System.Security.Cryptography;

namespace Hotswap;

/// <summary>
/// The one read loop that hashes a file: the verifier (hash only), the publisher (copy while
/// hashing) and a fleet artifact's pack (copy into the archive while hashing) all read each file
/// once, in blocks, through it.
/// </summary>
internal static class FileHashing
{
    /// <summary>The block size of every hashing read.</summary>
    public const int BufferSize = 64 * 1024;

    /// <summary>Reads the rest of <paramref name="source"/>, hashing each block and writing it to <paramref name="target"/> when one is given; checks for cancellation between blocks.</summary>
    /// <param name="source">What to read.</param>
    /// <param name="target">Where to copy it, or <see langword="null"/> to hash only.</param>
    /// <param name="buffer">A block buffer (rented by the caller, reused across files).</param>
    /// <param name="cancellationToken">Stops between blocks.</param>
    /// <returns>The bytes read and their lower-case hex SHA-256.</returns>
    public static (long Size, string Sha256) Copy(Stream source, Stream? target, byte[] buffer, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        int read;
        while ((read = source.Read(buffer)) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            hash.AppendData(buffer, 0, read);
            target?.Write(buffer, 0, read);
            size += read;
        }

        return (size, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
