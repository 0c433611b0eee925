namespace Hotswap.SideBySide.Probes;

/// <summary>
/// A resource the plugin opens per version and releases in its cleanup: writing to it after
/// <see cref="Dispose"/> throws <see cref="ObjectDisposedException"/>.
/// </summary>
/// <param name="build">The build that opened it.</param>
internal sealed class ProbeConnection(int build) : IDisposable
{
    private readonly MemoryStream _stream = new();

    /// <summary>Writes one record; returns the build that opened the connection.</summary>
    /// <param name="value">The value written.</param>
    /// <returns>The build that opened this connection.</returns>
    public int Write(int value)
    {
        lock (_stream)
        {
            _stream.WriteByte((byte)value);
        }

        return build;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_stream)
        {
            _stream.Dispose();
        }
    }
}
