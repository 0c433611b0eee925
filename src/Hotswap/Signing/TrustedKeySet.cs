using System.Security.Cryptography;

namespace Hotswap;

/// <summary>
/// The public keys a host or <c>hotswap verify</c> trusts, by key id, and the signature check of
/// one manifest against them. Built once from PEM texts; immutable after.
/// </summary>
internal sealed class TrustedKeySet
{
    private readonly Dictionary<string, byte[]> _keys;

    private TrustedKeySet(Dictionary<string, byte[]> keys) => _keys = keys;

    /// <summary>Gets the key ids trusted, in order.</summary>
    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    /// <summary>Reads every key; <see langword="null"/> when there is none (no enforcement).</summary>
    /// <exception cref="ArgumentException">A text holds no P-256 key (the message says which, counting from 1).</exception>
    public static TrustedKeySet? Create(IEnumerable<string>? pems)
    {
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        int index = 0;
        foreach (string pem in pems ?? [])
        {
            index++;
            try
            {
                using ECDsa key = ManifestSignature.ImportKey(pem ?? "", requirePrivate: false);
                keys.TryAdd(ManifestSignature.KeyId(key), key.ExportSubjectPublicKeyInfo());
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException(SR.TrustedKeyInvalid(index, ex.Message), nameof(pems), ex);
            }
        }

        return keys.Count == 0 ? null : new TrustedKeySet(keys);
    }

    /// <summary>
    /// Checks a manifest that passed every other check: it is signed, by a trusted key, over exactly
    /// its canonical bytes, and carries a sequence. <see langword="null"/> when it holds.
    /// </summary>
    public VerificationProblem? Check(string versionDirectory, string manifestPath, PluginManifest manifest)
    {
        string plugin = manifest.Name;
        if (string.IsNullOrEmpty(manifest.Signature))
        {
            return new(manifestPath, SR.SignatureMissing(plugin, versionDirectory, KeyIds));
        }

        if (!ManifestSignature.TryParse(manifest.Signature, out string keyId, out byte[] signature))
        {
            return new(manifestPath, SR.SignatureMalformed(plugin, versionDirectory));
        }

        if (!_keys.TryGetValue(keyId, out byte[]? spki))
        {
            return new(manifestPath, SR.SignatureKeyUnknown(plugin, versionDirectory, keyId, KeyIds));
        }

        byte[] canonical;
        try
        {
            canonical = ManifestSignature.CanonicalBytes(manifest);
        }
        catch (FormatException ex)
        {
            return new(manifestPath, SR.SignatureDoesNotMatch(plugin, versionDirectory, keyId) + " " + ex.Message);
        }

        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(spki, out _);
        if (!key.VerifyData(canonical, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            return new(manifestPath, SR.SignatureDoesNotMatch(plugin, versionDirectory, keyId));
        }

        if (manifest.Sequence is null or < 1)
        {
            return new(manifestPath, SR.SequenceMissing(plugin, versionDirectory, keyId));
        }

        // The signature covers the manifest's content, not its text. Under enforcement the text must
        // also be exactly what the publisher writes for that content, so no byte of plugin.json can
        // change unnoticed (white space, a property's spelling or order, an escape, a duplicate).
        byte[] written = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.PluginManifest);
        byte[] onDisk;
        try
        {
            onDisk = File.ReadAllBytes(manifestPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new(manifestPath, SR.SignatureDoesNotMatch(plugin, versionDirectory, keyId) + " " + ex.Message);
        }

        return onDisk.AsSpan().SequenceEqual(written)
            ? null
            : new(manifestPath, SR.ManifestNotAsWritten(plugin, versionDirectory, keyId));
    }
}
