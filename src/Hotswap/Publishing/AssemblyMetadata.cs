using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Hotswap;

/// <summary>Reads what an assembly file references without loading it into any context.</summary>
internal sealed class AssemblyMetadata
{
    private AssemblyMetadata(AssemblyName name, IReadOnlyList<AssemblyName> references, string? targetFramework)
    {
        Name = name;
        References = references;
        TargetFramework = targetFramework;
    }

    public AssemblyName Name { get; }

    public IReadOnlyList<AssemblyName> References { get; }

    public string? TargetFramework { get; }

    /// <summary>Reads the file. Throws <see cref="BadImageFormatException"/> when it is not a .NET assembly.</summary>
    public static AssemblyMetadata Read(string path)
    {
        using FileStream stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata)
        {
            throw new BadImageFormatException("The file has no .NET metadata.", path);
        }

        MetadataReader reader = pe.GetMetadataReader();
        if (!reader.IsAssembly)
        {
            throw new BadImageFormatException("The file is a module, not an assembly.", path);
        }

        var references = new List<AssemblyName>();
        foreach (AssemblyReferenceHandle handle in reader.AssemblyReferences)
        {
            references.Add(reader.GetAssemblyReference(handle).GetAssemblyName());
        }

        return new AssemblyMetadata(reader.GetAssemblyDefinition().GetAssemblyName(), references, ReadTargetFramework(reader));
    }

    private static string? ReadTargetFramework(MetadataReader reader)
    {
        foreach (CustomAttributeHandle handle in reader.GetAssemblyDefinition().GetCustomAttributes())
        {
            CustomAttribute attribute = reader.GetCustomAttribute(handle);
            if (attribute.Constructor.Kind != HandleKind.MemberReference)
            {
                continue;
            }

            MemberReference constructor = reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor);
            if (constructor.Parent.Kind != HandleKind.TypeReference)
            {
                continue;
            }

            TypeReference type = reader.GetTypeReference((TypeReferenceHandle)constructor.Parent);
            if (reader.StringComparer.Equals(type.Name, "TargetFrameworkAttribute")
                && reader.StringComparer.Equals(type.Namespace, "System.Runtime.Versioning"))
            {
                // Blob: prolog 0x0001, then the constructor's one string argument.
                BlobReader blob = reader.GetBlobReader(attribute.Value);
                return blob.ReadUInt16() == 1 ? blob.ReadSerializedString() : null;
            }
        }

        return null;
    }
}
