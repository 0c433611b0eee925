using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Hotswap;

/// <summary>
/// Reads, from metadata only (nothing is loaded), the assemblies whose types appear in an
/// assembly's public surface: the base types, interfaces, generic constraints and the signatures
/// of the public and protected members of its public types. A type exchanged through a contract is
/// one type on both sides only if the assembly that defines it is shared too.
/// </summary>
internal static class ContractSurface
{
    /// <summary>Returns each assembly the surface of the assembly at <paramref name="path"/> uses, with the first public type that uses it.</summary>
    /// <exception cref="BadImageFormatException">The file is not an assembly.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Dictionary<string, string> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        using var pe = new PEReader(stream);
        return Read(pe.GetMetadataReader());
    }

    /// <summary>Returns whether the assembly at <paramref name="path"/> references <paramref name="assemblyName"/>.</summary>
    public static bool References(string path, string assemblyName)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        using var pe = new PEReader(stream);
        MetadataReader reader = pe.GetMetadataReader();
        foreach (AssemblyReferenceHandle handle in reader.AssemblyReferences)
        {
            if (reader.StringComparer.Equals(reader.GetAssemblyReference(handle).Name, assemblyName, ignoreCase: true))
            {
                return true;
            }
        }

        return false;
    }

    internal static Dictionary<string, string> Read(MetadataReader reader)
    {
        var used = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        // A facade: each type forwarded to another assembly is that assembly's.
        foreach (ExportedTypeHandle handle in reader.ExportedTypes)
        {
            ExportedType exported = reader.GetExportedType(handle);
            if (exported.IsForwarder && exported.Implementation.Kind == HandleKind.AssemblyReference)
            {
                string ns = reader.GetString(exported.Namespace);
                used.TryAdd(reader.GetString(reader.GetAssemblyReference((AssemblyReferenceHandle)exported.Implementation).Name), (ns.Length == 0 ? "" : ns + ".") + reader.GetString(exported.Name));
            }
        }

        foreach (TypeDefinitionHandle handle in reader.TypeDefinitions)
        {
            TypeDefinition type = reader.GetTypeDefinition(handle);
            if (!IsVisible(reader, type))
            {
                continue;
            }

            string typeName = FullName(reader, type);
            var collector = new Collector(reader, used, typeName);
            collector.Entity(type.BaseType);
            Attributes(reader, type.GetCustomAttributes(), collector);
            foreach (InterfaceImplementationHandle implemented in type.GetInterfaceImplementations())
            {
                collector.Entity(reader.GetInterfaceImplementation(implemented).Interface);
            }

            Constraints(reader, type.GetGenericParameters(), collector);
            foreach (FieldDefinitionHandle fieldHandle in type.GetFields())
            {
                FieldDefinition field = reader.GetFieldDefinition(fieldHandle);
                if (IsVisible(field.Attributes & FieldAttributes.FieldAccessMask))
                {
                    field.DecodeSignature(collector, null);
                    Attributes(reader, field.GetCustomAttributes(), collector);
                }
            }

            foreach (MethodDefinitionHandle methodHandle in type.GetMethods())
            {
                MethodDefinition method = reader.GetMethodDefinition(methodHandle);
                if (IsVisible((FieldAttributes)(int)(method.Attributes & MethodAttributes.MemberAccessMask)))
                {
                    method.DecodeSignature(collector, null); // properties and events are reached through their accessors
                    Constraints(reader, method.GetGenericParameters(), collector);
                    Attributes(reader, method.GetCustomAttributes(), collector);
                }
            }

            foreach (PropertyDefinitionHandle property in type.GetProperties())
            {
                Attributes(reader, reader.GetPropertyDefinition(property).GetCustomAttributes(), collector); // [JsonProperty] and the like: what a serializer on either side reads
            }
        }

        return used;
    }

    /// <summary>The attribute types applied (an attribute's constructor is a member of its type).</summary>
    private static void Attributes(MetadataReader reader, CustomAttributeHandleCollection attributes, Collector collector)
    {
        foreach (CustomAttributeHandle handle in attributes)
        {
            EntityHandle constructor = reader.GetCustomAttribute(handle).Constructor;
            if (constructor.Kind == HandleKind.MemberReference)
            {
                collector.Entity(reader.GetMemberReference((MemberReferenceHandle)constructor).Parent);
            }
        }
    }

    private static void Constraints(MetadataReader reader, GenericParameterHandleCollection parameters, Collector collector)
    {
        foreach (GenericParameterHandle parameter in parameters)
        {
            foreach (GenericParameterConstraintHandle constraint in reader.GetGenericParameter(parameter).GetConstraints())
            {
                collector.Entity(reader.GetGenericParameterConstraint(constraint).Type);
            }
        }
    }

    /// <summary>Public, or protected (family, family-or-assembly): what code outside the assembly can see.</summary>
    private static bool IsVisible(FieldAttributes access) => access is FieldAttributes.Public or FieldAttributes.Family or FieldAttributes.FamORAssem;

    private static bool IsVisible(MetadataReader reader, TypeDefinition type)
    {
        TypeAttributes visibility = type.Attributes & TypeAttributes.VisibilityMask;
        if (visibility == TypeAttributes.Public)
        {
            return true;
        }

        return visibility is TypeAttributes.NestedPublic or TypeAttributes.NestedFamily or TypeAttributes.NestedFamORAssem
            && IsVisible(reader, reader.GetTypeDefinition(type.GetDeclaringType()));
    }

    private static string FullName(MetadataReader reader, TypeDefinition type)
    {
        string name = reader.GetString(type.Name);
        if (type.GetDeclaringType() is { IsNil: false } declaring)
        {
            return FullName(reader, reader.GetTypeDefinition(declaring)) + "+" + name;
        }

        string ns = reader.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    /// <summary>Decodes signatures for their side effect: each type reference's assembly is recorded.</summary>
    private sealed class Collector(MetadataReader reader, Dictionary<string, string> used, string typeName) : ISignatureTypeProvider<int, object?>
    {
        public void Entity(EntityHandle handle)
        {
            switch (handle.Kind)
            {
                case HandleKind.TypeReference:
                    GetTypeFromReference(reader, (TypeReferenceHandle)handle, 0);
                    break;
                case HandleKind.TypeSpecification:
                    GetTypeFromSpecification(reader, null, (TypeSpecificationHandle)handle, 0);
                    break;
            }
        }

        public int GetTypeFromReference(MetadataReader metadata, TypeReferenceHandle handle, byte rawTypeKind)
        {
            EntityHandle scope = metadata.GetTypeReference(handle).ResolutionScope;
            while (scope.Kind == HandleKind.TypeReference)
            {
                scope = metadata.GetTypeReference((TypeReferenceHandle)scope).ResolutionScope; // a nested type: its outermost type's scope
            }

            if (scope.Kind == HandleKind.AssemblyReference)
            {
                used.TryAdd(metadata.GetString(metadata.GetAssemblyReference((AssemblyReferenceHandle)scope).Name), typeName);
            }

            return 0;
        }

        public int GetTypeFromSpecification(MetadataReader metadata, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind)
            => metadata.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public int GetTypeFromDefinition(MetadataReader metadata, TypeDefinitionHandle handle, byte rawTypeKind) => 0;

        public int GetPrimitiveType(PrimitiveTypeCode typeCode) => 0;

        public int GetSZArrayType(int elementType) => 0;

        public int GetArrayType(int elementType, ArrayShape shape) => 0;

        public int GetByReferenceType(int elementType) => 0;

        public int GetPointerType(int elementType) => 0;

        public int GetPinnedType(int elementType) => 0;

        public int GetGenericInstantiation(int genericType, ImmutableArray<int> typeArguments) => 0;

        public int GetGenericTypeParameter(object? genericContext, int index) => 0;

        public int GetGenericMethodParameter(object? genericContext, int index) => 0;

        public int GetFunctionPointerType(MethodSignature<int> signature) => 0;

        public int GetModifiedType(int modifier, int unmodifiedType, bool isRequired) => 0;
    }
}
