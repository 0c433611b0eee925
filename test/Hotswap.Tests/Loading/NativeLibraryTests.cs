using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Security.Cryptography;
using Hotswap.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hotswap.Tests.Loading;

/// <summary>Native libraries a plugin ships load from a private copy of checked bytes (issue 13, item 3).</summary>
public sealed class NativeLibraryTests : IDisposable
{
    private const string LibraryName = "hotswaptest";
    private const string LibraryFile = "libhotswaptest.so";

    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void LoadUnmanagedDll_VerifiedLibrary_LoadsAPrivateCopyRemovedAtUnload()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the fixture library is the runtime's own .so; CI runs on Linux.
        }

        (string folder, VerifiedFiles files) = NativeVersionFolder();
        var context = new PluginLoadContext("native", "v1", Path.Combine(folder, "Native.dll"), files, new HostAssemblies(), NullLogger.Instance);
        string[] before = PrivateFolders();

        IntPtr handle = LoadUnmanaged(context, LibraryName);

        Assert.NotEqual(IntPtr.Zero, handle);
        string copyFolder = Assert.Single(PrivateFolders().Except(before));
        string copy = Path.Combine(copyFolder, "0", LibraryFile); // one subfolder per source file
        Assert.Equal(File.ReadAllBytes(Path.Combine(folder, LibraryFile)), File.ReadAllBytes(copy));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(copyFolder));

        context.Unload();

        Assert.False(Directory.Exists(copyFolder));
    }

    [Fact]
    public void LoadUnmanagedDll_LibraryChangedAfterVerify_RefusedNamingPluginFolderAndFile()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        (string folder, VerifiedFiles files) = NativeVersionFolder();
        string library = Path.Combine(folder, LibraryFile);
        string verified = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(library)));
        byte[] changed = File.ReadAllBytes(library);
        changed[^1] ^= 0xFF;
        File.WriteAllBytes(library + ".new", changed);
        File.Move(library + ".new", library, overwrite: true);
        var context = new PluginLoadContext("native", "v1", Path.Combine(folder, "Native.dll"), files, new HostAssemblies(), NullLogger.Instance);

        TargetInvocationException thrown = Assert.Throws<TargetInvocationException>(() => LoadUnmanaged(context, LibraryName));

        FileLoadException refused = Assert.IsType<FileLoadException>(thrown.InnerException);
        Assert.Equal(SR.LoadChanged("native", folder, library, $"SHA-256 {Convert.ToHexStringLower(SHA256.HashData(changed))}, expected {verified}"), refused.Message);
        context.Unload();
    }

    private static IntPtr LoadUnmanaged(AssemblyLoadContext context, string name)
        => (IntPtr)typeof(AssemblyLoadContext).GetMethod("LoadUnmanagedDll", BindingFlags.NonPublic | BindingFlags.Instance)!.Invoke(context, [name])!;

    private static string[] PrivateFolders()
        => Directory.GetDirectories(Path.GetTempPath(), "hotswap-native-*");

    /// <summary>A version folder holding a managed entry, a deps.json naming one native asset, and that asset (a copy of a runtime library).</summary>
    private (string Folder, VerifiedFiles Files) NativeVersionFolder()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_root.Scratch, "v1")).FullName;
        File.Copy(typeof(NativeLibraryTests).Assembly.Location, Path.Combine(folder, "Native.dll"));
        File.Copy(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "libSystem.IO.Compression.Native.so"), Path.Combine(folder, LibraryFile));
        File.WriteAllText(Path.Combine(folder, "Native.deps.json"), $$"""
            {
              "runtimeTarget": { "name": ".NETCoreApp,Version=v10.0" },
              "targets": {
                ".NETCoreApp,Version=v10.0": {
                  "Native/1.0.0": { "runtime": { "Native.dll": {} }, "native": { "{{LibraryFile}}": {} } }
                }
              },
              "libraries": { "Native/1.0.0": { "type": "project", "serviceable": false, "sha512": "" } }
            }
            """);
        var manifest = new PluginManifest
        {
            Name = "native",
            Version = "v1",
            EntryAssembly = "Native.dll",
            Files = [.. Directory.GetFiles(folder).Select(f => new PluginManifestFile
            {
                Path = Path.GetFileName(f),
                Size = new FileInfo(f).Length,
                Sha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))),
            })],
        };
        return (folder, VerifiedFiles.From("native", folder, manifest));
    }
}
