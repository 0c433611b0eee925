using System.Reflection;
using System.Runtime.CompilerServices;

namespace Hotswap;

/// <summary>
/// Compiles a new version's own code before the switch (<see cref="PluginHostOptions.Precompile"/>):
/// code in a collectible load context gets no ReadyToRun and no tiered compilation, so each method
/// is JIT-compiled fully optimized on its first call; done here, no caller pays for it.
/// </summary>
/// <remarks>
/// Only what can be compiled without guessing: every non-generic method and constructor of every
/// non-generic type of the plugin's assembly. Generic code is compiled per instantiation, on its
/// first call; <see cref="Plugin.WarmUpAsync"/> can reach it.
/// </remarks>
internal static class Precompiler
{
    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    /// <summary>Compiles the methods of <paramref name="assembly"/>; returns how many.</summary>
    /// <param name="assembly">The plugin's entry assembly.</param>
    /// <returns>The number of methods compiled.</returns>
    public static int Prepare(Assembly assembly)
    {
        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            types = [.. ex.Types.OfType<Type>()]; // the load step already refused what matters; compile the rest
        }

        int prepared = 0;
        foreach (Type type in types)
        {
            if (type.ContainsGenericParameters)
            {
                continue;
            }

            foreach (MethodBase method in type.GetMethods(Declared).Concat<MethodBase>(type.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)))
            {
                if (method.IsAbstract
                    || method.ContainsGenericParameters
                    || (method.Attributes & MethodAttributes.PinvokeImpl) != 0
                    || (method.MethodImplementationFlags & (MethodImplAttributes.InternalCall | MethodImplAttributes.Runtime)) != 0)
                {
                    continue;
                }

                try
                {
                    RuntimeHelpers.PrepareMethod(method.MethodHandle);
                    prepared++;
                }
                catch (Exception ex) when (ex is ArgumentException or NotSupportedException or InvalidOperationException or TypeLoadException or BadImageFormatException or MissingMethodException)
                {
                    // A method the JIT refuses ahead of time is compiled on its first call, as without this step.
                }
            }
        }

        return prepared;
    }
}
