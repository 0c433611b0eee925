namespace Hotswap;

/// <summary>What a new plugin version says of itself before the switch, from <see cref="Plugin.CheckHealthAsync"/>.</summary>
public readonly struct PluginHealth : IEquatable<PluginHealth>
{
    private PluginHealth(string? reason) => Reason = reason;

    /// <summary>Gets the answer of a version fit to serve.</summary>
    public static PluginHealth Healthy => default;

    /// <summary>Gets a value indicating whether the version is fit to serve.</summary>
    public bool IsHealthy => Reason is null;

    /// <summary>Gets why the version is not fit to serve; <see langword="null"/> when it is.</summary>
    public string? Reason { get; }

    /// <summary>Equality of two answers.</summary>
    /// <param name="left">One answer.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(PluginHealth left, PluginHealth right) => left.Equals(right);

    /// <summary>Inequality of two answers.</summary>
    /// <param name="left">One answer.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(PluginHealth left, PluginHealth right) => !left.Equals(right);

    /// <summary>The answer of a version that must not serve: the reload fails with <paramref name="reason"/>.</summary>
    /// <param name="reason">Why, in a sentence an operator can act on.</param>
    /// <returns>The answer.</returns>
    /// <exception cref="ArgumentException"><paramref name="reason"/> is null or white space.</exception>
    public static PluginHealth Unhealthy(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new PluginHealth(reason);
    }

    /// <inheritdoc/>
    public bool Equals(PluginHealth other) => string.Equals(Reason, other.Reason, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PluginHealth other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Reason is null ? 0 : StringComparer.Ordinal.GetHashCode(Reason);

    /// <inheritdoc/>
    public override string ToString() => Reason is null ? "healthy" : "unhealthy: " + Reason;
}
