namespace Hotswap;

/// <summary>The messages of signatures and downgrade protection.</summary>
internal static partial class SR
{
    public const string KeyNotP256 = "The key is not an ECDSA key on the NIST P-256 curve. Create one with 'hotswap keygen' or PluginPublisher.CreateSigningKey.";
    public const string KeyNotPrivate = "The key is a public key; signing needs the private key (the .key file written by 'hotswap keygen').";

    public static string KeyUnreadable(string reason) => $"The text holds no readable PEM key ({reason}). Pass the PEM text of a key written by 'hotswap keygen'.";

    public static string TrustedKeyInvalid(int index, string reason) => $"Trusted key {index} is not usable: {reason}";

    public static string CanonicalControlCharacter(string value) => $"The manifest field '{value}' holds a control character, so the manifest has no canonical form and cannot be signed or checked.";

    public static string SignatureMissing(string plugin, string folder, IReadOnlyCollection<string> trusted)
        => $"Plugin '{plugin}': the version folder '{folder}' is not signed, and trusted keys are configured ({string.Join(", ", trusted)}), so only signed versions load. Sign it with 'hotswap sign' or publish with 'hotswap build --sign'.";

    public static string SignatureMalformed(string plugin, string folder)
        => $"Plugin '{plugin}': the signature of the version folder '{folder}' is not of the form 'ecdsa-p256-sha256:<key id>:<base64 of 64 bytes>'. Sign the folder again.";

    public static string SignatureKeyUnknown(string plugin, string folder, string keyId, IReadOnlyCollection<string> trusted)
        => $"Plugin '{plugin}': the version folder '{folder}' is signed by key {keyId}, which is not trusted (trusted: {string.Join(", ", trusted)}). Add its public key to the trusted keys, or sign the folder with a trusted key.";

    public static string SequenceExhausted(string folder) => $"A version folder under '{folder}' claims the highest possible sequence, so no next one exists: remove that folder or pass --sequence.";

    public static string ManifestNotAsWritten(string plugin, string folder, string keyId)
        => $"Plugin '{plugin}': plugin.json in '{folder}' (signed by key {keyId}) is not byte for byte the manifest the publisher writes for its content: it was edited after signing. Publish or sign the version again.";

    public static string SignatureDoesNotMatch(string plugin, string folder, string keyId)
        => $"Plugin '{plugin}': the signature by key {keyId} does not match the manifest of the version folder '{folder}': plugin.json was changed after signing. Publish and sign the version again.";

    public static string SequenceMissing(string plugin, string folder, string keyId)
        => $"Plugin '{plugin}': the manifest of the version folder '{folder}', signed by key {keyId}, carries no sequence number (at least 1), so downgrades cannot be told. Sign it again with 'hotswap sign'.";

    public static string Downgrade(string plugin, string folder, long sequence, long newest)
        => $"Plugin '{plugin}': the version folder '{folder}' has sequence {sequence}, lower than {newest}, the newest this host has served, so it is refused as a downgrade. To roll back on purpose, use 'hotswap rollback' (it writes the allow-downgrade marker for exactly that version).";

    public static string SignFolderInvalid(string folder, VerificationProblem first, int more)
        => $"The version folder '{folder}' was not signed: it does not verify ({first}{(more > 0 ? $"; and {more} more problem(s)" : "")}). Sign only intact folders.";

    public static string OptionTrustedKeys(string reason) => $"TrustedKeys: {reason} Pass the PEM text of a public key written by 'hotswap keygen'.";

    public static string SequenceNotPositive(long sequence) => $"The sequence must be at least 1, not {sequence}.";
}
