using System.IO.Compression;
using System.Xml.Linq;

namespace Hotswap.Tests.Packaging;

/// <summary>A .nupkg read back: its file list and its nuspec.</summary>
internal sealed class PackedPackage
{
    private readonly XElement _metadata;

    public PackedPackage(string path)
    {
        using ZipArchive zip = ZipFile.OpenRead(path);
        Files = [.. zip.Entries.Select(e => e.FullName)];
        ZipArchiveEntry nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/', StringComparison.Ordinal));
        using Stream stream = nuspec.Open();
        _metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    public IReadOnlyList<string> Files { get; }

    public bool Has(string file) => Files.Contains(file, StringComparer.Ordinal);

    public string? Metadata(string name) => Element(_metadata, name)?.Value;

    public string? Repository(string attribute) => Element(_metadata, "repository")?.Attribute(attribute)?.Value;

    public string? PackageType() => Element(Element(_metadata, "packageTypes"), "packageType")?.Attribute("name")?.Value;

    public XElement? Dependency(string id)
        => _metadata.Descendants().FirstOrDefault(e => e.Name.LocalName == "dependency" && (string?)e.Attribute("id") == id);

    private static XElement? Element(XElement? parent, string name) => parent?.Elements().FirstOrDefault(e => e.Name.LocalName == name);
}
