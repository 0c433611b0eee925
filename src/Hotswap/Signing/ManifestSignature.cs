using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Hotswap;

/// <summary>
/// The signature protocol of manifests (docs/plugin-format.md, "Signed manifests"): the canonical
/// bytes of a manifest, the signature value <c>ecdsa-p256-sha256:&lt;key id&gt;:&lt;base64 r||s&gt;</c>,
/// and key ids. ECDSA over NIST P-256 with SHA-256, from the BCL.
/// </summary>
/// <remarks>
/// The canonical form is line-based text rather than re-serialized JSON, so that another tool can
/// rebuild it from any JSON reader without matching this library's JSON writer byte for byte.
/// </remarks>
internal static class ManifestSignature
{
    /// <summary>The algorithm prefix of every signature value.</summary>
    public const string Algorithm = "ecdsa-p256-sha256";

    /// <summary>The first line of the canonical form.</summary>
    public const string CanonicalHeader = "hotswap-manifest-signature-v1";

    private const string P256Oid = "1.2.840.10045.3.1.7";

    /// <summary>Creates a new P-256 private key as PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>).</summary>
    public static string CreatePrivateKeyPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>Reads a P-256 key (public or private) from PEM.</summary>
    /// <exception cref="ArgumentException">The text holds no P-256 key.</exception>
    public static ECDsa ImportKey(string pem, bool requirePrivate)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            ECParameters parameters = key.ExportParameters(includePrivateParameters: false);
            if (parameters.Curve.Oid?.Value != P256Oid && !string.Equals(parameters.Curve.Oid?.FriendlyName, "nistP256", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException(SR.KeyNotP256);
            }

            if (requirePrivate)
            {
                try
                {
                    _ = key.ExportParameters(includePrivateParameters: true);
                }
                catch (CryptographicException)
                {
                    throw new ArgumentException(SR.KeyNotPrivate);
                }
            }

            return key;
        }
        catch (ArgumentException ex) when (ex.Message is not SR.KeyNotP256 and not SR.KeyNotPrivate)
        {
            key.Dispose();
            throw new ArgumentException(SR.KeyUnreadable(ex.Message), ex);
        }
        catch (CryptographicException ex)
        {
            key.Dispose();
            throw new ArgumentException(SR.KeyUnreadable(ex.Message), ex);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>The public key as SubjectPublicKeyInfo PEM (<c>-----BEGIN PUBLIC KEY-----</c>).</summary>
    public static string PublicKeyPem(ECDsa key) => key.ExportSubjectPublicKeyInfoPem();

    /// <summary>The key id: the first 16 lower-case hex digits of the SHA-256 of the SubjectPublicKeyInfo DER.</summary>
    public static string KeyId(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];

    /// <summary>
    /// The bytes a signature covers: UTF-8 text, one field per line, each line ended by LF, fields
    /// separated by TAB; every field of the manifest but <c>signature</c>. See docs/plugin-format.md.
    /// </summary>
    /// <exception cref="FormatException">A field holds a control character, so its line would be ambiguous.</exception>
    public static byte[] CanonicalBytes(PluginManifest manifest)
    {
        var text = new StringBuilder();
        text.Append(CanonicalHeader).Append('\n');
        Line(text, "formatVersion", manifest.FormatVersion.ToString(CultureInfo.InvariantCulture));
        Line(text, "name", manifest.Name);
        Line(text, "version", manifest.Version);
        Line(text, "entryAssembly", manifest.EntryAssembly);
        Line(text, "targetFramework", manifest.TargetFramework);
        Line(text, "builtAt", manifest.BuiltAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
        Line(text, "sourceCommit", manifest.SourceCommit);
        Line(text, "sequence", manifest.Sequence?.ToString(CultureInfo.InvariantCulture));
        foreach (PluginManifestFile file in manifest.Files ?? [])
        {
            Line(text, "file", Checked(file.Path), file.Size.ToString(CultureInfo.InvariantCulture), Checked(file.Sha256));
        }

        foreach (SharedAssemblyReference shared in manifest.SharedAssemblies ?? [])
        {
            Line(text, "sharedAssembly", Checked(shared.Name), Checked(shared.Version));
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Signs the manifest's canonical bytes; returns the signature value.</summary>
    public static string Sign(PluginManifest manifest, ECDsa privateKey)
    {
        byte[] signature = privateKey.SignData(CanonicalBytes(manifest), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        ToLowS(signature);
        return $"{Algorithm}:{KeyId(privateKey)}:{Convert.ToBase64String(signature)}";
    }

    // The order n of P-256, and n / 2. ECDSA signatures are malleable: (r, n - s) verifies as well as
    // (r, s). Only the low form (s <= n/2) is written and accepted, so one signature has one spelling.
    private static readonly System.Numerics.BigInteger s_order = System.Numerics.BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
    private static readonly System.Numerics.BigInteger s_halfOrder = s_order / 2;

    private static System.Numerics.BigInteger S(byte[] signature) => new(signature.AsSpan(32, 32), isUnsigned: true, isBigEndian: true);

    private static void ToLowS(byte[] signature)
    {
        System.Numerics.BigInteger s = S(signature);
        if (s > s_halfOrder)
        {
            byte[] low = (s_order - s).ToByteArray(isUnsigned: true, isBigEndian: true);
            Array.Clear(signature, 32, 32);
            low.CopyTo(signature, 64 - low.Length);
        }
    }

    /// <summary>Splits a signature value; <see langword="false"/> when it is not <c>ecdsa-p256-sha256:&lt;16 hex&gt;:&lt;base64 of 64 bytes&gt;</c>.</summary>
    public static bool TryParse(string? value, out string keyId, out byte[] signature)
    {
        keyId = "";
        signature = [];
        string[] parts = (value ?? "").Split(':');
        if (parts.Length != 3 || parts[0] != Algorithm || parts[1].Length != 16 || !parts[1].All(static c => char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c)))
        {
            return false;
        }

        keyId = parts[1];
        byte[] bytes = new byte[64];
        // Only the one spelling the signer writes: base64 also accepts white space, which would let
        // the same signature be written in many ways.
        if (!Convert.TryFromBase64String(parts[2], bytes, out int written) || written != 64 || Convert.ToBase64String(bytes) != parts[2] || S(bytes) > s_halfOrder)
        {
            return false;
        }

        signature = bytes;
        return true;
    }

    private static string Checked(string? value)
    {
        value ??= "";
        if (value.Any(static c => char.IsControl(c)))
        {
            throw new FormatException(SR.CanonicalControlCharacter(value));
        }

        return value;
    }

    private static void Line(StringBuilder text, string field, params string?[] values)
    {
        text.Append(field);
        foreach (string? value in values)
        {
            text.Append('\t').Append(Checked(value));
        }

        text.Append('\n');
    }
}
