using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace Hotswap.Tests.PublicApi;

/// <summary>Writes an assembly's public surface as sorted C#-like lines, one per type and member.</summary>
internal static class PublicApiFormatter
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    public static string Format(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (Type type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            lines.Add(TypeLine(type));
            var members = new List<string>();
            foreach (MemberInfo member in type.GetMembers(Declared))
            {
                if (MemberLine(type, member) is { } line)
                {
                    members.Add("  " + line);
                }
            }

            members.Sort(static (a, b) => string.CompareOrdinal(MemberName(a), MemberName(b)) is var byName && byName != 0 ? byName : string.CompareOrdinal(a, b));
            lines.AddRange(members);
        }

        return string.Join("\n", lines) + "\n";
    }

    private static string TypeLine(Type type)
    {
        string kind = type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? (IsRecord(type) ? "record struct" : "struct") : IsRecord(type) ? "record" : "class";
        var modifiers = new StringBuilder("public ");
        if (type.IsClass && type.IsAbstract && type.IsSealed)
        {
            modifiers.Append("static ");
        }
        else if (type.IsClass && type.IsAbstract)
        {
            modifiers.Append("abstract ");
        }
        else if (type.IsClass && type.IsSealed && !type.IsSubclassOf(typeof(Delegate)))
        {
            modifiers.Append("sealed ");
        }

        if (type.IsValueType && type.GetCustomAttribute<IsReadOnlyAttribute>() is not null)
        {
            modifiers.Append("readonly ");
        }

        var bases = new List<string>();
        if (type.BaseType is { } baseType && baseType != typeof(object) && baseType != typeof(ValueType) && baseType != typeof(Enum))
        {
            bases.Add(Name(baseType));
        }

        bases.AddRange(type.GetInterfaces().Where(i => i.IsPublic && (type.BaseType is null || !i.IsAssignableFrom(type.BaseType))).Select(Name).Order(StringComparer.Ordinal));
        return $"{modifiers}{kind} {Name(type)}" + (bases.Count > 0 ? " : " + string.Join(", ", bases) : "");
    }

    private static string? MemberLine(Type owner, MemberInfo member)
    {
        switch (member)
        {
            case ConstructorInfo c when c.IsPublic || c.IsFamily || c.IsFamilyOrAssembly:
                return $"{Access(c)}{owner.Name.Split('`')[0]}({Parameters(c)})";
            case MethodInfo m when (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly) && !m.IsSpecialName:
                if (owner.IsEnum || IsCompilerGenerated(m))
                {
                    return null;
                }

                string generic = m.IsGenericMethod ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "";
                return $"{Access(m)}{Modifiers(m, owner)}{Name(m.ReturnType)}{Nullable(m.ReturnParameter)} {m.Name}{generic}({Parameters(m)})";
            case PropertyInfo p:
                MethodInfo? getter = p.GetMethod is { } g && (g.IsPublic || g.IsFamily) ? g : null;
                MethodInfo? setter = p.SetMethod is { } s && (s.IsPublic || s.IsFamily) ? s : null;
                if (getter is null && setter is null)
                {
                    return null;
                }

                MethodInfo any = (getter ?? setter)!;
                string accessors = (getter is null ? "" : "get; ") + (setter is null ? "" : IsInitOnly(setter) ? "init; " : "set; ");
                string indexer = p.GetIndexParameters().Length > 0 ? $"this[{Parameters(p.GetIndexParameters())}]" : p.Name;
                string nullable = !p.PropertyType.IsValueType && s_nullability.Create(p).ReadState == NullabilityState.Nullable ? "?" : "";
                return $"{Access(any)}{Modifiers(any, owner)}{Name(p.PropertyType)}{nullable} {indexer} {{ {accessors}}}";
            case EventInfo e when e.AddMethod is { } add && (add.IsPublic || add.IsFamily):
                return $"{Access(add)}{Modifiers(add, owner)}event {Name(e.EventHandlerType!)} {e.Name}";
            case FieldInfo f when f.IsPublic || f.IsFamily:
                if (owner.IsEnum)
                {
                    return f.IsStatic ? $"{f.Name} = {Convert.ToInt64(f.GetRawConstantValue())}" : null;
                }

                string constant = f.IsLiteral ? $"const {Name(f.FieldType)} {f.Name} = {Literal(f.GetRawConstantValue())}" : $"{(f.IsStatic ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}{Name(f.FieldType)} {f.Name}";
                return $"{(f.IsPublic ? "public " : "protected ")}{constant}";
            case Type nested when nested.IsNestedPublic:
                return $"nested {Name(nested)}";
            default:
                return null;
        }
    }

    /// <summary>The member's name in a formatted line: the word before '(' or ' {' or ' =', else the last word.</summary>
    private static string MemberName(string line)
    {
        int end = line.IndexOfAny(['(', '{', '=']);
        string head = (end < 0 ? line : line[..end]).TrimEnd();
        return head[(head.LastIndexOf(' ') + 1)..];
    }

    private static bool IsRecord(Type type) => type.GetMethod("<Clone>$") is not null || (type.IsValueType && type.GetMethod("PrintMembers", BindingFlags.NonPublic | BindingFlags.Instance) is not null);

    private static bool IsCompilerGenerated(MethodInfo method) => method.Name is "<Clone>$" || method.GetCustomAttribute<CompilerGeneratedAttribute>() is not null && method.Name is "Equals" or "GetHashCode" or "ToString" or "PrintMembers" or "Deconstruct" or "op_Equality" or "op_Inequality";

    // By name: the generator's netstandard2.0 polyfill of IsExternalInit is visible here too (InternalsVisibleTo), so the type name alone is ambiguous.
    private static bool IsInitOnly(MethodInfo setter) => setter.ReturnParameter.GetRequiredCustomModifiers().Any(static m => m.FullName == "System.Runtime.CompilerServices.IsExternalInit");

    private static string Access(MethodBase method) => method.IsPublic ? "public " : "protected ";

    private static string Modifiers(MethodInfo method, Type owner)
    {
        if (method.IsStatic)
        {
            return "static ";
        }

        if (owner.IsInterface)
        {
            return "";
        }

        if (method.IsAbstract)
        {
            return "abstract ";
        }

        if (method.IsVirtual && !method.IsFinal)
        {
            return method.GetBaseDefinition() == method ? "virtual " : "override ";
        }

        return method.IsVirtual && method.GetBaseDefinition() != method ? "override " : "";
    }

    private static string Parameters(MethodBase method) => Parameters(method.GetParameters());

    private static string Parameters(ParameterInfo[] parameters) => string.Join(", ", parameters.Select(p =>
    {
        string prefix = p.GetCustomAttribute<ParamArrayAttribute>() is not null ? "params " : p.IsOut ? "out " : p.ParameterType.IsByRef ? (p.IsIn ? "in " : "ref ") : "";
        Type type = p.ParameterType.IsByRef ? p.ParameterType.GetElementType()! : p.ParameterType;
        string defaultValue = !p.HasDefaultValue ? "" : p.DefaultValue is null && type.IsValueType ? " = default" : " = " + Literal(p.DefaultValue);
        return $"{prefix}{Name(type)}{Nullable(p)} {p.Name}{defaultValue}";
    }));

    private static readonly NullabilityInfoContext s_nullability = new();

    private static string Nullable(ParameterInfo parameter)
    {
        Type type = parameter.ParameterType.IsByRef ? parameter.ParameterType.GetElementType()! : parameter.ParameterType;
        if (type.IsValueType || type == typeof(void))
        {
            return "";
        }

        NullabilityInfo info = s_nullability.Create(parameter);
        NullabilityState state = parameter.Position < 0 ? info.ReadState : info.WriteState;
        return state == NullabilityState.Nullable ? "?" : "";
    }

    private static string Literal(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "null",
    };

    private static string Name(Type type)
    {
        if (type.IsGenericParameter)
        {
            return type.Name;
        }

        if (type.IsArray)
        {
            return Name(type.GetElementType()!) + "[]";
        }

        if (System.Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Name(underlying) + "?";
        }

        string name = type.IsNested ? Name(type.DeclaringType!) + "." + type.Name : type.Namespace is "System" or "Hotswap" ? type.Name : type.FullName ?? type.Name;
        if (!type.IsGenericType)
        {
            return Keyword(type) ?? name;
        }

        string bare = name.Split('`')[0];
        return $"{bare}<{string.Join(", ", type.GetGenericArguments().Select(Name))}>";
    }

    private static string? Keyword(Type type) => type.IsEnum ? null : Type.GetTypeCode(type) switch
    {
        TypeCode.Boolean => "bool",
        TypeCode.Int32 => "int",
        TypeCode.Int64 => "long",
        TypeCode.String => "string",
        TypeCode.Double => "double",
        _ => type == typeof(object) ? "object" : type == typeof(void) ? "void" : null,
    };
}
