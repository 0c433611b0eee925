namespace Hotswap;

/// <summary>Options of the status page mapped by <c>MapHotswapStatus</c>.</summary>
public sealed class HotswapStatusOptions
{
    /// <summary>Gets or sets the authorization policy every status endpoint requires.</summary>
    /// <value>Default: <see langword="null"/>, the application's default policy (an authenticated user). Anonymous users are refused either way unless <see cref="AllowAnonymous"/> is set.</value>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>Gets or sets a value indicating whether anonymous users may see the page and reload (for a loopback-only development host).</summary>
    /// <value>Default: <see langword="false"/>.</value>
    public bool AllowAnonymous { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the page offers reload and rollback buttons, backed by
    /// POSTs to <c>{pattern}/reload</c> and <c>{pattern}/rollback</c> that require the policy and the
    /// header <c>X-Hotswap-Action: reload</c> (or <c>rollback</c>).
    /// </summary>
    /// <value>Default: <see langword="true"/>.</value>
    public bool EnableReload { get; set; } = true;

    /// <summary>Gets or sets how many reloads the page remembers.</summary>
    /// <value>Default: 20.</value>
    public int HistoryLength { get; set; } = 20;

    /// <summary>
    /// Gets or sets the host's plugins root. When set, the page shows each version's build time (from
    /// its manifest) and the calls in flight (from the status the host writes there).
    /// </summary>
    /// <value>Default: <see langword="null"/>: neither is shown.</value>
    public string? PluginsRoot { get; set; }
}
