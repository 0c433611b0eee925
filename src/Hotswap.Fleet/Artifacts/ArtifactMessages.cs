using System.Globalization;

namespace Hotswap;

/// <summary>
/// The artifact code's messages, as full sentences: each says what was expected, what was found,
/// and what to do next. The plugin, the phase and the file or URL are added by
/// <see cref="PluginLoadException"/>, which carries them separately too.
/// </summary>
internal static class ArtifactMessages
{
    public static string PackOutputInsideFolder(string output, string versionDirectory)
        => $"The artifact '{output}' would be written inside the version folder '{versionDirectory}' it packs, which must not be modified; write it elsewhere.";

    public static string PackRefused(string versionDirectory, VerificationProblem first, int more)
        => $"The version folder '{versionDirectory}' does not verify, so it is not packed: {first.FilePath}: {first.Message}{More(more)} Publish the version again, then pack it.";

    public static string PackFileChanged(string file, string expected, string found)
        => $"The file '{file}' changed while it was being packed (plugin.json says SHA-256 {expected}, the bytes read hash to {found}), so no artifact was written; pack it again once nothing writes into the version folder.";

    public static string PackManifestChanged(string manifestPath)
        => $"The manifest '{manifestPath}' changed while the version folder was being packed, so no artifact was written; pack it again once nothing writes into the version folder.";

    public static string NameInvalid(string what, string name)
        => $"The {what} '{name}' is not a valid folder name (one path segment, not starting with a dot).";

    public static string DigestInvalid(string digest)
        => $"The digest '{digest}' is not a SHA-256 in hex (64 hex digits); the desired record must carry the lower-case hex SHA-256 of the version's plugin.json (FleetArtifacts.ComputeDigest).";

    public static string SchemeNotSupported(string scheme)
        => $"The artifact's URL scheme '{scheme}' is not supported; use file://, http:// or https://.";

    public static string RootMissing(string root)
        => $"The plugins root '{root}' does not exist; create it (the host's PluginsRoot) before fetching into it.";

    public static string ExistingUnreadable(string versionDirectory, string error)
        => $"The version folder '{versionDirectory}' already exists but its plugin.json cannot be read ({error}); it is left as it is. Remove the folder if it is not a published version.";

    public static string ExistingDigestMismatch(string versionDirectory, string found, string expected)
        => $"The version folder '{versionDirectory}' already exists with another content: its plugin.json has SHA-256 {found}, the desired record's digest is {expected}. An existing version folder is never overwritten; publish the new content as a new version.";

    public static string ExistingDoesNotVerify(string versionDirectory, VerificationProblem first, int more)
        => $"The version folder '{versionDirectory}' already exists with the expected plugin.json but does not verify: {first.FilePath}: {first.Message}{More(more)} It is left as it is; remove it so that the version can be fetched again.";

    public static string FileMissing(string path)
        => $"The artifact file '{path}' does not exist.";

    public static string FileUnreadable(string path, string error)
        => $"The artifact file '{path}' cannot be read: {error}";

    public static string HttpStatus(string url, int status, string? reasonPhrase)
        => $"GET {url} answered HTTP {status.ToString(CultureInfo.InvariantCulture)}{(string.IsNullOrEmpty(reasonPhrase) ? "" : " (" + reasonPhrase + ")")}; expected 200 with the artifact. Check that the artifact is published at that URL.";

    public static string RequestFailed(string url, string error)
        => $"GET {url} failed: {error}";

    public static string DownloadBroken(string url, long received, long? announced, string error)
        => $"The download of {url} broke off after {received.ToString(CultureInfo.InvariantCulture)} bytes{Announced(announced)}: {error}";

    public static string Truncated(string url, long received, long announced)
        => $"The download of {url} ended after {received.ToString(CultureInfo.InvariantCulture)} bytes, but the server announced {announced.ToString(CultureInfo.InvariantCulture)}: the response was cut short.";

    public static string TooLarge(string url, long limit)
        => $"The artifact at {url} is larger than {limit.ToString(CultureInfo.InvariantCulture)} bytes, the most a fetch downloads.";

    public static string TimedOut(string url, TimeSpan timeout)
        => $"The download of {url} did not finish within {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s, the fetch timeout.";

    public static string NotAZip(string url, string error)
        => $"The artifact at {url} is not a readable zip archive ({error}); an artifact is written by FleetArtifacts.PackAsync (hotswap fleet pack).";

    public static string TooManyEntries(string url, int count, int limit)
        => $"The artifact at {url} holds {count.ToString(CultureInfo.InvariantCulture)} entries, more than the {limit.ToString(CultureInfo.InvariantCulture)} accepted.";

    public static string EntryRefused(string url, string entry, string why)
        => $"The artifact at {url} holds the entry '{Printable(entry)}', which is refused: {why} Nothing was extracted.";

    public static string EntryDuplicate(string url, string entry)
        => $"The artifact at {url} holds the entry '{Printable(entry)}' twice; an artifact holds each file once. Nothing was extracted.";

    public static string ExpandsTooFar(string url, long limit)
        => $"The artifact at {url} declares more than {limit.ToString(CultureInfo.InvariantCulture)} bytes of files once extracted, more than a fetch extracts (a zip bomb, or not a plugin version). Nothing was extracted.";

    public static string EntryInflatesPast(string url, string entry, long declared)
        => $"The entry '{Printable(entry)}' of the artifact at {url} inflates past its declared size of {declared.ToString(CultureInfo.InvariantCulture)} bytes, so it was not extracted.";

    public static string EntryShort(string url, string entry, long read, long declared)
        => $"The entry '{Printable(entry)}' of the artifact at {url} holds {read.ToString(CultureInfo.InvariantCulture)} bytes but declares {declared.ToString(CultureInfo.InvariantCulture)}, so it was not extracted.";

    public static string EntryCorrupt(string url, string entry, string error)
        => $"The entry '{Printable(entry)}' of the artifact at {url} cannot be decompressed: {error}";

    public static string ExtractFailed(string url, string entry, string error)
        => $"The entry '{Printable(entry)}' of the artifact at {url} cannot be written: {error}";

    public static string NoManifest(string url)
        => $"The artifact at {url} holds no {PluginManifest.FileName} at its top; an artifact is a whole version folder, manifest included.";

    public static string DigestMismatch(string url, string found, string expected)
        => $"The artifact at {url} holds a {PluginManifest.FileName} whose SHA-256 is {found}, but the desired record's digest is {expected}: it is not the version asked for (or it was changed in transit), so nothing in it was used.";

    public static string ManifestMalformed(string url, string error)
        => $"The artifact at {url} matches its digest but its {PluginManifest.FileName} does not parse: {error}";

    public static string ManifestNamesOther(string url, string foundName, string foundVersion, string name, string version)
        => $"The artifact at {url} matches its digest but holds plugin '{foundName}' version '{foundVersion}', not plugin '{name}' version '{version}' as the desired record says; fix the desired record.";

    public static string DoesNotVerify(string url, string file, string message, int more)
        => $"The artifact at {url} matches its digest but its version folder does not verify: {file}: {message}{More(more)} Nothing was published.";

    public static string PublishFailed(string versionDirectory, string error)
        => $"The fetched version could not be renamed into '{versionDirectory}': {error}";

    private static string More(int more)
        => more switch
        {
            0 => "",
            1 => " There is 1 more problem.",
            _ => $" There are {more.ToString(CultureInfo.InvariantCulture)} more problems.",
        };

    private static string Announced(long? announced)
        => announced is { } n ? $" of the {n.ToString(CultureInfo.InvariantCulture)} announced" : "";

    /// <summary>An entry name as text safe to print: control characters escaped.</summary>
    private static string Printable(string name)
        => string.Concat(name.Select(static c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
