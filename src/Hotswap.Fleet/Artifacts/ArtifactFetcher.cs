using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// Brings one version of one plugin into a host's plugins root from its artifact (docs/fleet.md,
/// "What an agent does for a new target", step 1; the artifact and its digest are defined on
/// <see cref="FleetArtifacts"/>). In order: when <c>&lt;root&gt;/&lt;plugin&gt;/&lt;version&gt;</c>
/// exists, check it against the digest and verify it, and use it without downloading; otherwise
/// download the artifact into a new dot-named folder <c>&lt;plugin&gt;/.fetch-&lt;random&gt;/</c>
/// (<c>file://</c> by reading the file, <c>http(s)://</c> by GET, both within the fetch timeout);
/// extract it safely (<see cref="ArtifactExtractor"/>: the manifest against the digest before anything
/// else in it is believed); verify the extracted folder (with the trusted keys, its signature too);
/// flush it; rename it into place (or, when another fetch put the folder there meanwhile, check and
/// use that one); flush the plugin folder; delete the fetch folder.
/// </summary>
/// <remarks>
/// <para>
/// An existing version folder is never overwritten or modified, and <c>current</c> is never
/// touched: publishing (the flip of <c>current</c>) is the caller's next step. On any failure, or on
/// cancellation, the fetch folder is deleted, and a plugin folder this fetch created is removed again
/// when nothing else is in it, so the plugin folder holds exactly what it held before.
/// </para>
/// <para>
/// The fetch folder and the staging version folder inside it (<c>.fetch-&lt;random&gt;/&lt;plugin&gt;/&lt;version&gt;</c>,
/// so that the verifier sees the plugin and version names it checks) start with a dot at the plugin
/// level, so discovery and prune ignore them. Several fetches may run at once, of one version or
/// several: each has its own fetch folder, and the rename into place decides which one's folder is
/// published. Thread-safe.
/// </para>
/// </remarks>
internal sealed class ArtifactFetcher
{
    /// <summary>The prefix of a fetch's working folder under the plugin folder.</summary>
    public const string FetchPrefix = ".fetch-";

    private const string ArchiveFileName = "artifact.zip";

    private readonly HttpClient _httpClient;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _fetchTimeout;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="ArtifactFetcher"/> class.</summary>
    /// <param name="httpClient">The client that downloads <c>http(s)://</c> artifacts; the caller owns it.</param>
    /// <param name="timeProvider">The clock of the fetch timeout.</param>
    /// <param name="fetchTimeout">How long one download may take, headers to last byte; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="logger">Where the fetches are logged.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fetchTimeout"/> is neither positive nor infinite.</exception>
    public ArtifactFetcher(HttpClient httpClient, TimeProvider timeProvider, TimeSpan fetchTimeout, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        if (fetchTimeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(fetchTimeout, TimeSpan.Zero);
        }

        _httpClient = httpClient;
        _timeProvider = timeProvider;
        _fetchTimeout = fetchTimeout;
        _logger = logger;
    }

    /// <summary>Gets the most bytes an artifact's files may take once extracted, summed over its entries.</summary>
    /// <value>2 GiB (<see cref="ArtifactLimits.MaxBytes"/>); tests set less.</value>
    internal long MaxExtractedBytes { get; init; } = ArtifactLimits.MaxBytes;

    /// <summary>Gets the most bytes one download may take.</summary>
    /// <value>2 GiB (<see cref="ArtifactLimits.MaxBytes"/>); tests set less.</value>
    internal long MaxDownloadBytes { get; init; } = ArtifactLimits.MaxBytes;

    /// <summary>
    /// Brings <paramref name="pluginName"/> <paramref name="version"/> into <paramref name="pluginsRoot"/>
    /// from <paramref name="artifact"/>, checked against <paramref name="digest"/>, as the class
    /// summary lists; returns the published version folder.
    /// </summary>
    /// <param name="pluginsRoot">The host's plugins root; it must exist.</param>
    /// <param name="pluginName">The plugin, as the desired record names it.</param>
    /// <param name="version">The version id, as the desired record names it.</param>
    /// <param name="artifact">Where the artifact is: <c>file://</c>, <c>http://</c> or <c>https://</c>.</param>
    /// <param name="digest">The lower-case hex SHA-256 of the version's manifest, from the desired record.</param>
    /// <param name="trustedKeys">The host's trusted keys: with any, the version must be signed by one; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Stops the fetch; the fetch folder is deleted.</param>
    /// <returns>The full path of <c>&lt;root&gt;/&lt;plugin&gt;/&lt;version&gt;</c>.</returns>
    /// <exception cref="ArgumentNullException">An argument but <paramref name="trustedKeys"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A name or the digest is empty, or a name is not a valid folder name.</exception>
    /// <exception cref="PluginLoadException">
    /// The fetch failed: phase <see cref="ReloadPhase.Fetch"/> for the download, the archive and the
    /// digest (naming the URL, or the existing folder's manifest), phase <see cref="ReloadPhase.Verify"/>
    /// for a folder that does not verify (naming its first problem's file).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public Task<string> FetchAsync(string pluginsRoot, string pluginName, string version, Uri artifact, string digest, TrustedKeySet? trustedKeys, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginsRoot);
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        ArgumentException.ThrowIfNullOrEmpty(version);
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentException.ThrowIfNullOrEmpty(digest);
        if (!PluginLayout.IsValidName(pluginName))
        {
            throw new ArgumentException(ArtifactMessages.NameInvalid("plugin name", pluginName), nameof(pluginName));
        }

        if (!PluginLayout.IsValidName(version))
        {
            throw new ArgumentException(ArtifactMessages.NameInvalid("version", version), nameof(version));
        }

        var request = new FetchRequest(pluginName, version, artifact, digest);
        if (digest.Length != 64 || !digest.All(char.IsAsciiHexDigit))
        {
            throw request.Failure(ArtifactMessages.DigestInvalid(digest));
        }

        if (!artifact.IsAbsoluteUri || !(artifact.IsFile || artifact.Scheme == Uri.UriSchemeHttp || artifact.Scheme == Uri.UriSchemeHttps))
        {
            throw request.Failure(ArtifactMessages.SchemeNotSupported(artifact.IsAbsoluteUri ? artifact.Scheme : "(none: a relative URL)"));
        }

        // The checks and the extraction are synchronous file work: run on the pool, never on the caller's thread.
        return Task.Run(() => FetchCoreAsync(Path.GetFullPath(pluginsRoot), request, trustedKeys, cancellationToken), cancellationToken);
    }

    private async Task<string> FetchCoreAsync(string root, FetchRequest request, TrustedKeySet? trustedKeys, CancellationToken cancellationToken)
    {
        string pluginDirectory = Path.Combine(root, request.PluginName);
        string final = Path.Combine(pluginDirectory, request.Version);
        if (Directory.Exists(final))
        {
            UseExisting(final, request, trustedKeys, cancellationToken);
            ArtifactLog.AlreadyPresent(_logger, request.PluginName, request.Version, final);
            return final;
        }

        if (!Directory.Exists(root))
        {
            throw request.Failure(ReloadPhase.Fetch, root, ArtifactMessages.RootMissing(root));
        }

        bool createdPluginDirectory = !Directory.Exists(pluginDirectory);
        if (createdPluginDirectory)
        {
            Directory.CreateDirectory(pluginDirectory);
            Durable.FlushDirectory(root);
        }

        long started = _timeProvider.GetTimestamp();
        ArtifactLog.Fetching(_logger, request.PluginName, request.Version, request.Url);
        string work = Path.Combine(pluginDirectory, FetchPrefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        bool published = false;
        try
        {
            string archive = Path.Combine(work, ArchiveFileName);
            long downloaded = await DownloadAsync(request, archive, cancellationToken).ConfigureAwait(false);
            string staged = Path.Combine(work, request.PluginName, request.Version);
            ArtifactExtractor.Extract(archive, staged, request, MaxExtractedBytes, cancellationToken);
            VerifyStaged(staged, final, request, trustedKeys, cancellationToken);
            Durable.FlushTree(staged);

            if (TryMoveDirectory(staged, final, request))
            {
                Durable.FlushDirectory(pluginDirectory);
                published = true;
                ArtifactLog.Fetched(_logger, request.PluginName, request.Version, downloaded, final, (long)_timeProvider.GetElapsedTime(started).TotalMilliseconds);
                return final;
            }

            // Another fetch of the same version won the rename: its folder must be what we were asked for too.
            UseExisting(final, request, trustedKeys, cancellationToken);
            published = true;
            ArtifactLog.LostRace(_logger, request.PluginName, request.Version, final);
            return final;
        }
        finally
        {
            TryDeleteDirectory(work);
            if (!published && createdPluginDirectory)
            {
                TryRemoveEmpty(pluginDirectory);
            }
        }
    }

    /// <summary>Checks a version folder already in place: its manifest's digest, then the whole folder; throws when it is not the version asked for.</summary>
    private static void UseExisting(string final, FetchRequest request, TrustedKeySet? trustedKeys, CancellationToken cancellationToken)
    {
        string manifestPath = Path.Combine(final, PluginManifest.FileName);
        string found;
        try
        {
            found = FleetArtifacts.ComputeDigest(final);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw request.Failure(ReloadPhase.Fetch, manifestPath, ArtifactMessages.ExistingUnreadable(final, ex.Message), ex);
        }

        if (!string.Equals(found, request.Digest, StringComparison.OrdinalIgnoreCase))
        {
            throw request.Failure(ReloadPhase.Fetch, manifestPath, ArtifactMessages.ExistingDigestMismatch(final, found, request.Digest.ToLowerInvariant()));
        }

        VerificationResult verified = PluginVerifier.Verify(final, trustedKeys, cancellationToken);
        if (!verified.IsValid)
        {
            VerificationProblem first = verified.Problems[0];
            throw request.Failure(ReloadPhase.Verify, first.FilePath, ArtifactMessages.ExistingDoesNotVerify(final, first, verified.Problems.Count - 1));
        }
    }

    /// <summary>
    /// Verifies the staged folder; a failure names the file as it would be in the published folder
    /// (the staging folder is deleted), and the artifact.
    /// </summary>
    private static void VerifyStaged(string staged, string final, FetchRequest request, TrustedKeySet? trustedKeys, CancellationToken cancellationToken)
    {
        VerificationResult verified = PluginVerifier.Verify(staged, trustedKeys, cancellationToken);
        if (verified.IsValid)
        {
            return;
        }

        VerificationProblem first = verified.Problems[0];
        string relative = first.FilePath.StartsWith(staged + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? PluginLayout.ToManifestPath(staged, first.FilePath)
            : PluginManifest.FileName;
        string message = first.Message.Replace(staged, final, StringComparison.Ordinal);
        throw request.Failure(ReloadPhase.Verify, Path.Combine(final, relative), ArtifactMessages.DoesNotVerify(request.Url, relative, message, verified.Problems.Count - 1));
    }

    /// <summary>Downloads the artifact into <paramref name="target"/> within the fetch timeout; returns the bytes written.</summary>
    private async Task<long> DownloadAsync(FetchRequest request, string target, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_fetchTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return request.Artifact.IsFile
                ? await CopyFileAsync(request, target, linked.Token).ConfigureAwait(false)
                : await GetAsync(request, target, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw request.Failure(ArtifactMessages.TimedOut(request.Url, _fetchTimeout), ex);
        }
    }

    private async Task<long> CopyFileAsync(FetchRequest request, string target, CancellationToken cancellationToken)
    {
        string path = request.Artifact.LocalPath;
        FileStream source;
        try
        {
            source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw request.Failure(ArtifactMessages.FileMissing(path), ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw request.Failure(ArtifactMessages.FileUnreadable(path, ex.Message), ex);
        }

        await using (source.ConfigureAwait(false))
        {
            var progress = new Progress();
            try
            {
                await CopyAsync(source, target, request, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw request.Failure(ArtifactMessages.FileUnreadable(path, ex.Message), ex);
            }

            return progress.Bytes;
        }
    }

    private async Task<long> GetAsync(FetchRequest request, string target, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, request.Artifact);
        HttpResponseMessage response;
        try
        {
            response = await _httpClient.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw request.Failure(ArtifactMessages.RequestFailed(request.Url, ex.Message), ex);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw request.Failure(ArtifactMessages.HttpStatus(request.Url, (int)response.StatusCode, response.ReasonPhrase));
            }

            long? announced = response.Content.Headers.ContentLength;
            if (announced > MaxDownloadBytes)
            {
                throw request.Failure(ArtifactMessages.TooLarge(request.Url, MaxDownloadBytes));
            }

            var progress = new Progress();
            try
            {
                Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                await using (body.ConfigureAwait(false))
                {
                    await CopyAsync(body, target, request, progress, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                throw request.Failure(ArtifactMessages.DownloadBroken(request.Url, progress.Bytes, announced, ex.Message), ex);
            }

            if (announced is { } expected && progress.Bytes != expected)
            {
                throw request.Failure(ArtifactMessages.Truncated(request.Url, progress.Bytes, expected));
            }

            return progress.Bytes;
        }
    }

    /// <summary>Copies a download into a new file, counting into <paramref name="progress"/> and refusing more than <see cref="MaxDownloadBytes"/>.</summary>
    private async Task CopyAsync(Stream source, string target, FetchRequest request, Progress progress, CancellationToken cancellationToken)
    {
        var file = new FileStream(target, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 });
        await using (file.ConfigureAwait(false))
        {
            byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(ArtifactLimits.BufferSize);
            try
            {
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    progress.Bytes += read;
                    if (progress.Bytes > MaxDownloadBytes)
                    {
                        throw request.Failure(ArtifactMessages.TooLarge(request.Url, MaxDownloadBytes));
                    }

                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static bool TryMoveDirectory(string from, string to, FetchRequest request)
    {
        if (Directory.Exists(to))
        {
            return false;
        }

        try
        {
            Directory.Move(from, to);
            return true;
        }
        catch (IOException) when (Directory.Exists(to))
        {
            return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw request.Failure(ReloadPhase.Fetch, to, ArtifactMessages.PublishFailed(to, ex.Message), ex);
        }
    }

    private void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ArtifactLog.CleanupFailed(_logger, path, ex.Message);
        }
    }

    /// <summary>Removes a plugin folder this fetch created, when nothing else was put in it meanwhile (another fetch's folder, say).</summary>
    private static void TryRemoveEmpty(string pluginDirectory)
    {
        try
        {
            Directory.Delete(pluginDirectory, recursive: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not empty: something else lives there now, and stays.
        }
    }

    /// <summary>How many bytes a download has written so far, readable after it broke off.</summary>
    private sealed class Progress
    {
        public long Bytes { get; set; }
    }
}
