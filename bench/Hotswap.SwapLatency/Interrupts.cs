using System.Globalization;

namespace Hotswap.SwapLatency;

/// <summary>
/// The machine's inter-processor interrupt counts, summed over CPUs, from <c>/proc/interrupts</c>
/// (Linux): TLB shootdowns (sent when a process changes its memory mappings while its threads run on
/// other CPUs) and function-call interrupts (what process-wide memory barriers use). They count the
/// whole machine, not this process alone. Elsewhere, or when the file cannot be read, both are -1.
/// </summary>
/// <param name="TlbShootdowns">The TLB shootdowns so far.</param>
/// <param name="FunctionCalls">The function-call interrupts so far.</param>
internal readonly record struct Interrupts(long TlbShootdowns, long FunctionCalls)
{
    /// <summary>Gets a value indicating whether the counts were read.</summary>
    public bool IsKnown => TlbShootdowns >= 0;

    /// <summary>Reads the counts now.</summary>
    /// <returns>The counts.</returns>
    public static Interrupts Read()
    {
        long tlb = -1, calls = -1;
        try
        {
            if (OperatingSystem.IsLinux())
            {
                foreach (string line in File.ReadLines("/proc/interrupts"))
                {
                    string trimmed = line.TrimStart();
                    if (trimmed.StartsWith("TLB:", StringComparison.Ordinal))
                    {
                        tlb = Sum(trimmed);
                    }
                    else if (trimmed.StartsWith("CAL:", StringComparison.Ordinal))
                    {
                        calls = Sum(trimmed);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new Interrupts(-1, -1);
        }

        return tlb < 0 || calls < 0 ? new Interrupts(-1, -1) : new Interrupts(tlb, calls);
    }

    /// <summary>Gets the counts from <paramref name="earlier"/> to this one.</summary>
    /// <param name="earlier">The earlier counts.</param>
    /// <returns>The difference, or unknown when either is.</returns>
    public Interrupts Since(Interrupts earlier)
        => IsKnown && earlier.IsKnown ? new Interrupts(TlbShootdowns - earlier.TlbShootdowns, FunctionCalls - earlier.FunctionCalls) : new Interrupts(-1, -1);

    /// <summary>Adds two differences.</summary>
    /// <param name="other">The other difference.</param>
    /// <returns>The sum, or unknown when either is.</returns>
    public Interrupts Plus(Interrupts other)
        => IsKnown && other.IsKnown ? new Interrupts(TlbShootdowns + other.TlbShootdowns, FunctionCalls + other.FunctionCalls) : new Interrupts(-1, -1);

    // "TLB:  1404946  1364264  TLB shootdowns": the numbers after the label, one per CPU.
    private static long Sum(string line)
    {
        long sum = 0;
        foreach (string part in line[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            {
                break;
            }

            sum += n;
        }

        return sum;
    }
}
