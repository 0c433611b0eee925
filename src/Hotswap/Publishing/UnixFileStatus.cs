using System.Runtime.InteropServices;

namespace Hotswap;

/// <summary>
/// What <c>lstat(2)</c> says of a path on Linux and macOS: its type and its hard-link count, which the
/// BCL does not expose. The <c>struct stat</c> layout differs by platform, so only the layouts known
/// here are read; anywhere else <see cref="TryGet"/> returns <see langword="false"/> and the caller
/// cannot see hard links (symbolic links and reparse points it still sees through the BCL).
/// </summary>
internal static class UnixFileStatus
{
    private const int TypeMask = 0xF000;
    private const int RegularFile = 0x8000;
    private const int EINTR = 4;

    private enum Layout
    {
        Unknown,

        /// <summary>glibc and musl on x86-64: st_dev, st_ino, then st_nlink (8 bytes), then st_mode.</summary>
        LinuxX64,

        /// <summary>The generic Linux layout (arm64, riscv64, loongarch64): st_dev, st_ino, st_mode, st_nlink (4 bytes).</summary>
        LinuxGeneric,

        /// <summary>macOS with 64-bit inodes: st_dev (4 bytes), st_mode (2), st_nlink (2), st_ino.</summary>
        MacOS,
    }

    private static readonly Layout s_layout = FindLayout();

    /// <summary>Gets a value indicating whether this platform's layout is known, so hard links can be counted.</summary>
    public static bool IsSupported => s_layout != Layout.Unknown;

    /// <summary>
    /// Reads a path's status without following a link in its last segment. Returns
    /// <see langword="false"/> when the layout is unknown here or the call failed.
    /// </summary>
    /// <param name="path">The path to look at.</param>
    /// <param name="isRegularFile">Whether the path is a regular file (not a link, folder, FIFO, socket or device).</param>
    /// <param name="linkCount">How many directory entries name the same file.</param>
    public static bool TryGet(string path, out bool isRegularFile, out long linkCount)
    {
        isRegularFile = false;
        linkCount = 0;
        if (s_layout == Layout.Unknown)
        {
            return false;
        }

        byte[] buffer = new byte[512]; // larger than struct stat on every layout above.
        nint native = Marshal.StringToCoTaskMemUTF8(path);
        int result;
        try
        {
            do
            {
                result = Call(native, buffer);
            }
            while (result != 0 && Marshal.GetLastPInvokeError() == EINTR);
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
        finally
        {
            Marshal.FreeCoTaskMem(native);
        }

        if (result != 0)
        {
            return false;
        }

        int mode;
        switch (s_layout)
        {
            case Layout.LinuxX64:
                linkCount = BitConverter.ToInt64(buffer, 16);
                mode = BitConverter.ToInt32(buffer, 24);
                break;
            case Layout.LinuxGeneric:
                mode = BitConverter.ToInt32(buffer, 16);
                linkCount = BitConverter.ToUInt32(buffer, 20);
                break;
            default:
                mode = BitConverter.ToUInt16(buffer, 4);
                linkCount = BitConverter.ToUInt16(buffer, 6);
                break;
        }

        isRegularFile = (mode & TypeMask) == RegularFile;
        return true;
    }

    private static Layout FindLayout()
    {
        if (!BitConverter.IsLittleEndian || IntPtr.Size != 8)
        {
            return Layout.Unknown;
        }

        if (OperatingSystem.IsLinux())
        {
            return RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => Layout.LinuxX64,
                Architecture.Arm64 or Architecture.RiscV64 or Architecture.LoongArch64 => Layout.LinuxGeneric,
                _ => Layout.Unknown,
            };
        }

        return OperatingSystem.IsMacOS() && RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.X64
            ? Layout.MacOS
            : Layout.Unknown;
    }

    private static int Call(nint path, byte[] buffer)
    {
        if (OperatingSystem.IsMacOS())
        {
            // On x86-64 the plain symbol keeps the old 32-bit-inode layout; the suffixed one is the layout read above.
            return RuntimeInformation.ProcessArchitecture == Architecture.X64 ? LStatInode64(path, buffer) : LStat(path, buffer);
        }

        try
        {
            return LStat(path, buffer);
        }
        catch (EntryPointNotFoundException)
        {
            // glibc before 2.33 exports lstat only through its versioned wrapper.
            return LegacyLStat(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 1 : 0, path, buffer);
        }
    }

    // DllImport for the reasons given in Durable: blittable arguments (the byte array is pinned and
    // passed as a pointer), no AllowUnsafeBlocks for the assembly.
    [DllImport("libc", EntryPoint = "lstat", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int LStat(nint path, [Out] byte[] buffer);

    [DllImport("libc", EntryPoint = "lstat$INODE64", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int LStatInode64(nint path, [Out] byte[] buffer);

    [DllImport("libc", EntryPoint = "__lxstat", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int LegacyLStat(int version, nint path, [Out] byte[] buffer);
}
