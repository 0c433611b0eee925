namespace Hotswap;

/// <summary>
/// Writes and checks the on-disk format of plugins (docs/plugin-format.md): immutable version
/// folders with a <c>plugin.json</c> manifest, and a <c>current</c> file flipped by atomic rename.
/// </summary>
/// <remarks>
/// Publishing never writes into an existing version folder: it stages a new folder beside the
/// others, flushes it to disk, renames it into place, and only then flips <c>current</c>. A host
/// reading the plugins root at any moment sees either the previous version or the complete new one,
/// and so does a host started after a power cut.
/// </remarks>
public static class PluginPublisher
{
    /// <summary>Publishes a plugin's build output as a new version folder and, by default, makes it current.</summary>
    /// <param name="buildOutputDirectory">The plugin's build or publish output.</param>
    /// <param name="pluginsRoot">The plugins root.</param>
    /// <param name="pluginName">The plugin's name: its folder under the plugins root.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the copy; nothing is left behind.</param>
    /// <returns>The version written.</returns>
    /// <exception cref="ArgumentException">An argument is null, empty or not a valid name, the entry assembly cannot be told or is not a valid .NET assembly, or <see cref="PublishOptions.SigningKey"/> is not a P-256 private key.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="PublishOptions.Sequence"/> is lower than 1.</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="buildOutputDirectory"/> does not exist.</exception>
    /// <exception cref="IOException">A version folder with the same id exists but holds different content, or was changed after publishing (the message names the file); nothing was changed.</exception>
    public static async Task<PublishResult> PublishAsync(
        string buildOutputDirectory,
        string pluginsRoot,
        string pluginName,
        PublishOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(buildOutputDirectory);
        ArgumentException.ThrowIfNullOrEmpty(pluginsRoot);
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        if (!PluginLayout.IsValidName(pluginName))
        {
            throw new ArgumentException(SR.InvalidPluginName(pluginName), nameof(pluginName));
        }

        if (!Directory.Exists(buildOutputDirectory))
        {
            throw new DirectoryNotFoundException(SR.BuildOutputMissing(buildOutputDirectory));
        }

        return await VersionPublisher.PublishAsync(buildOutputDirectory, pluginsRoot, pluginName, options ?? new PublishOptions(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes a published version current by atomically replacing the plugin's <c>current</c> file.</summary>
    /// <param name="pluginsRoot">The plugins root.</param>
    /// <param name="pluginName">The plugin's name.</param>
    /// <param name="version">The version id: an existing version folder with a manifest.</param>
    /// <exception cref="ArgumentException">An argument is null, empty or not a valid name.</exception>
    /// <exception cref="DirectoryNotFoundException">The version folder or its manifest does not exist.</exception>
    public static void Activate(string pluginsRoot, string pluginName, string version)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginsRoot);
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        ArgumentException.ThrowIfNullOrEmpty(version);
        if (!PluginLayout.IsValidName(pluginName))
        {
            throw new ArgumentException(SR.InvalidPluginName(pluginName), nameof(pluginName));
        }

        if (!PluginLayout.IsValidName(version))
        {
            throw new ArgumentException(SR.InvalidVersionName(version), nameof(version));
        }

        // Shared with hosts, exclusive with the pruner: the folder cannot be pruned between the check and the flip.
        using PruneLock? flipping = PruneLock.EnterShared(pluginsRoot);
        string pluginDirectory = Path.Combine(Path.GetFullPath(pluginsRoot), pluginName);
        VersionPublisher.Activate(pluginDirectory, version);
        DowngradeGuard.Revoke(pluginDirectory); // what a rollback allowed ends with the next activation
    }

    /// <summary>
    /// Rolls a plugin back by one version: makes current the version folder published just before
    /// the one <c>current</c> names now, by atomically replacing the <c>current</c> file as
    /// <see cref="Activate"/> does. A host watching the root then reloads to that version by itself.
    /// </summary>
    /// <remarks>
    /// Version ids start with their UTC publish time, so "published before" is the previous folder in
    /// name order; folders deleted by <see cref="Prune"/> are skipped, as they are gone. Before the flip
    /// it writes <c>&lt;plugin&gt;/allow-downgrade</c> naming the version rolled back to, so a host
    /// with trusted keys loads that version even though its sequence is lower than the newest it
    /// served (docs/plugin-format.md, "Downgrades"). Each call steps
    /// back once more: after two calls, <c>current</c> names the version two before. Nothing is
    /// deleted and the version rolled back from stays published, so <see cref="Activate"/> can make it
    /// current again. The flip holds the root's prune lock shared, so a prune cannot delete the
    /// version between the choice and the flip; it does not exclude a publish running at the same
    /// moment, and the last flip of <c>current</c> wins.
    /// </remarks>
    /// <param name="pluginsRoot">The plugins root.</param>
    /// <param name="pluginName">The plugin's name: its folder under the plugins root.</param>
    /// <returns>The version <c>current</c> named before, and the one it names now.</returns>
    /// <exception cref="ArgumentException">An argument is null, empty or not a valid name.</exception>
    /// <exception cref="DirectoryNotFoundException">The plugins root or the plugin's folder does not exist, or the earlier version folder has no manifest (the message names the folder).</exception>
    /// <exception cref="InvalidOperationException">The plugin has no <c>current</c> file, <c>current</c> names no version folder, or it names the oldest one, so there is nothing to roll back to; <c>current</c> is unchanged.</exception>
    /// <exception cref="IOException">The plugin folder or its <c>current</c> file cannot be read, or <c>current</c> cannot be replaced.</exception>
    /// <exception cref="UnauthorizedAccessException">The plugin folder or its <c>current</c> file cannot be read or replaced.</exception>
    public static RollbackResult Rollback(string pluginsRoot, string pluginName)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginsRoot);
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        if (!PluginLayout.IsValidName(pluginName))
        {
            throw new ArgumentException(SR.InvalidPluginName(pluginName), nameof(pluginName));
        }

        string root = Path.GetFullPath(pluginsRoot);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException(SR.RollbackRootMissing(root));
        }

        string pluginDirectory = Path.Combine(root, pluginName);
        if (!Directory.Exists(pluginDirectory))
        {
            throw new DirectoryNotFoundException(SR.RollbackUnknownPlugin(pluginName, root));
        }

        // Shared with hosts, exclusive with the pruner: the earlier folder cannot be pruned between the choice and the flip.
        using PruneLock? flipping = PruneLock.EnterShared(root);
        string current = PluginLayout.ReadCurrentOf(pluginDirectory) ?? throw new InvalidOperationException(SR.RollbackNoCurrent(pluginName, pluginDirectory));
        List<string> versions = PluginLayout.ListVersions(pluginDirectory);
        int index = PluginLayout.IsValidName(current) ? versions.IndexOf(current) : -1;
        if (index < 0)
        {
            throw new InvalidOperationException(SR.RollbackCurrentNotAVersion(pluginName, current, pluginDirectory));
        }

        if (index == 0)
        {
            throw new InvalidOperationException(SR.RollbackNothingOlder(pluginName, current, pluginDirectory));
        }

        string previous = versions[index - 1];

        // The operator's word for downgrade protection: written before the flip, so a host that sees the new current sees it too.
        DowngradeGuard.Allow(pluginDirectory, previous);
        VersionPublisher.Activate(pluginDirectory, previous);
        return new RollbackResult(pluginName, current, previous, Path.Combine(pluginDirectory, previous));
    }

    /// <summary>Checks a version folder: its manifest, every listed file's size and SHA-256, paths escaping the folder, and files not listed; not its signature.</summary>
    /// <param name="versionDirectory">The version folder.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>Every problem found, each naming its file.</returns>
    /// <exception cref="ArgumentException"><paramref name="versionDirectory"/> is null or empty.</exception>
    public static async Task<VerificationResult> VerifyAsync(string versionDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(versionDirectory);
        return await PluginVerifier.VerifyAsync(versionDirectory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks a version folder as <see cref="VerifyAsync(string, CancellationToken)"/> does and, when
    /// <paramref name="trustedKeys"/> holds any key, its signature as a host with those
    /// <see cref="PluginHostOptions.TrustedKeys"/> does: an unsigned manifest, one signed by another
    /// key, or one changed after signing is a problem naming the plugin, the folder and the key id.
    /// </summary>
    /// <param name="versionDirectory">The version folder.</param>
    /// <param name="trustedKeys">The trusted public keys, as PEM; empty for no signature check.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>Every problem found, each naming its file.</returns>
    /// <exception cref="ArgumentException"><paramref name="versionDirectory"/> is null or empty, or a trusted key is not a P-256 public key in PEM.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="trustedKeys"/> is <see langword="null"/>.</exception>
    public static async Task<VerificationResult> VerifyAsync(string versionDirectory, IEnumerable<string> trustedKeys, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(versionDirectory);
        ArgumentNullException.ThrowIfNull(trustedKeys);
        return await PluginVerifier.VerifyAsync(versionDirectory, TrustedKeySet.Create(trustedKeys), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks a whole plugins root: every version folder of every plugin, as <see cref="VerifyAsync(string, CancellationToken)"/>
    /// does, and every plugin's <c>current</c> file, which must name one of them.
    /// </summary>
    /// <param name="pluginsRoot">The plugins root.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>Every version folder's result and every problem with a <c>current</c> file, each naming its file.</returns>
    /// <exception cref="ArgumentException"><paramref name="pluginsRoot"/> is null or empty.</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="pluginsRoot"/> does not exist.</exception>
    /// <exception cref="IOException">The plugins root or a plugin folder cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The plugins root or a plugin folder cannot be read.</exception>
    public static async Task<RootVerificationResult> VerifyRootAsync(string pluginsRoot, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginsRoot);
        return await PluginVerifier.VerifyRootAsync(pluginsRoot, trustedKeys: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks a whole plugins root as <see cref="VerifyRootAsync(string, CancellationToken)"/> does and,
    /// when <paramref name="trustedKeys"/> holds any key, every version folder's signature as
    /// <see cref="VerifyAsync(string, IEnumerable{string}, CancellationToken)"/> does.
    /// </summary>
    /// <param name="pluginsRoot">The plugins root.</param>
    /// <param name="trustedKeys">The trusted public keys, as PEM; empty for no signature check.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>Every version folder's result and every problem with a <c>current</c> file, each naming its file.</returns>
    /// <exception cref="ArgumentException"><paramref name="pluginsRoot"/> is null or empty, or a trusted key is not a P-256 public key in PEM.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="trustedKeys"/> is <see langword="null"/>.</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="pluginsRoot"/> does not exist.</exception>
    /// <exception cref="IOException">The plugins root or a plugin folder cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The plugins root or a plugin folder cannot be read.</exception>
    public static async Task<RootVerificationResult> VerifyRootAsync(string pluginsRoot, IEnumerable<string> trustedKeys, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginsRoot);
        ArgumentNullException.ThrowIfNull(trustedKeys);
        return await PluginVerifier.VerifyRootAsync(pluginsRoot, TrustedKeySet.Create(trustedKeys), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates a new signing key: an ECDSA key on the NIST P-256 curve, as PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>).</summary>
    /// <remarks>Keep the private key out of the plugins root and out of source control; give hosts <see cref="GetPublicKey"/>'s output.</remarks>
    /// <returns>The private key's PEM text.</returns>
    public static string CreateSigningKey() => ManifestSignature.CreatePrivateKeyPem();

    /// <summary>Gets the public key of a signing key, as SubjectPublicKeyInfo PEM (<c>-----BEGIN PUBLIC KEY-----</c>), for <see cref="PluginHostOptions.TrustedKeys"/>.</summary>
    /// <param name="keyPem">The private (or public) key, as PEM.</param>
    /// <returns>The public key's PEM text.</returns>
    /// <exception cref="ArgumentException"><paramref name="keyPem"/> is null, empty, or holds no P-256 key.</exception>
    public static string GetPublicKey(string keyPem)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyPem);
        using System.Security.Cryptography.ECDsa key = ManifestSignature.ImportKey(keyPem, requirePrivate: false);
        return ManifestSignature.PublicKeyPem(key);
    }

    /// <summary>Gets a key's id, as signatures and error messages name it: the first 16 lower-case hex digits of the SHA-256 of its SubjectPublicKeyInfo (DER).</summary>
    /// <param name="keyPem">The private or public key, as PEM.</param>
    /// <returns>The key id.</returns>
    /// <exception cref="ArgumentException"><paramref name="keyPem"/> is null, empty, or holds no P-256 key.</exception>
    public static string GetKeyId(string keyPem)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyPem);
        using System.Security.Cryptography.ECDsa key = ManifestSignature.ImportKey(keyPem, requirePrivate: false);
        return ManifestSignature.KeyId(key);
    }

    /// <summary>
    /// Signs a version folder built elsewhere: verifies it, sets its sequence number, signs its
    /// manifest, and replaces its <c>plugin.json</c> by a flushed temporary file renamed over it.
    /// Sign a folder before making it current: a host with trusted keys refuses it unsigned.
    /// </summary>
    /// <param name="versionDirectory">The version folder, inside its plugin's folder.</param>
    /// <param name="privateKeyPem">The signing key, as PEM (see <see cref="CreateSigningKey"/>).</param>
    /// <param name="sequence">The sequence number, or <see langword="null"/> for one more than the highest of the plugin's version folders.</param>
    /// <param name="cancellationToken">Cancels the check before the manifest is replaced.</param>
    /// <returns>The signed manifest written.</returns>
    /// <exception cref="ArgumentException"><paramref name="versionDirectory"/> or <paramref name="privateKeyPem"/> is null or empty, or the key is not a P-256 private key.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sequence"/> is lower than 1.</exception>
    /// <exception cref="InvalidOperationException">The folder does not verify (the message names the first problem); nothing was changed.</exception>
    /// <exception cref="IOException">The manifest cannot be replaced.</exception>
    /// <exception cref="UnauthorizedAccessException">The manifest cannot be replaced.</exception>
    public static async Task<PluginManifest> SignAsync(string versionDirectory, string privateKeyPem, long? sequence = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(versionDirectory);
        ArgumentException.ThrowIfNullOrEmpty(privateKeyPem);
        if (sequence < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(sequence), sequence, SR.SequenceNotPositive(sequence.Value));
        }

        return await ManifestSigner.SignFolderAsync(versionDirectory, privateKeyPem, sequence, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Lists the plugin folders of a plugins root, by name, each with what its <c>current</c> names and
    /// its version folders; folders starting with a dot (staging, pruned, host state) are left out.
    /// </summary>
    /// <param name="pluginsRoot">The plugins root.</param>
    /// <returns>Every plugin folder, published or not yet.</returns>
    /// <exception cref="ArgumentException"><paramref name="pluginsRoot"/> is null or empty.</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="pluginsRoot"/> does not exist.</exception>
    /// <exception cref="IOException">The plugins root, a plugin folder or a <c>current</c> file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The plugins root, a plugin folder or a <c>current</c> file cannot be read.</exception>
    public static IReadOnlyList<PublishedPlugin> ListPublished(string pluginsRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginsRoot);
        return [.. PluginLayout.ListPlugins(pluginsRoot)
            .Select(static p => new PublishedPlugin(p.Name, p.Directory, PluginLayout.ReadCurrentOf(p.Directory), PluginLayout.ListVersions(p.Directory)))];
    }

    /// <summary>
    /// Deletes a plugin's old version folders, keeping the one <c>current</c> names, the newest
    /// <paramref name="keep"/> others, and every version a live host on this root still holds
    /// (serving, loading, draining or stuck), as the hosts report through <see cref="HostStatusReader"/>.
    /// </summary>
    /// <remarks>
    /// Waits (up to 10 s) while a host on the root is between reading <c>current</c> and reporting
    /// what it loads, or a publish is flipping <c>current</c>; the version it is about to use is in
    /// no status yet.
    /// </remarks>
    /// <param name="pluginsRoot">The plugins root.</param>
    /// <param name="pluginName">The plugin's name.</param>
    /// <param name="keep">How many version folders to keep besides the current one and those in use.</param>
    /// <returns>The version ids deleted.</returns>
    /// <exception cref="ArgumentException">An argument is null, empty or not a valid name.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keep"/> is negative.</exception>
    /// <exception cref="IOException">Hosts or publishes kept the root's prune lock past the wait, so nothing was deleted; or the plugin folder cannot be read.</exception>
    public static IReadOnlyList<string> Prune(string pluginsRoot, string pluginName, int keep)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginsRoot);
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        if (!PluginLayout.IsValidName(pluginName))
        {
            throw new ArgumentException(SR.InvalidPluginName(pluginName), nameof(pluginName));
        }

        return PluginPruner.Prune(pluginsRoot, pluginName, keep, TimeProvider.System, PruneLock.DefaultTimeout);
    }
}
