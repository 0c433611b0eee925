using System.Globalization;

namespace Hotswap;

/// <summary>
/// The waves of a rollout, as <c>hotswap fleet rollout start --waves</c> writes them: each wave a
/// cumulative host count (<c>1</c>, <c>3</c>) or share of the live hosts (<c>25%</c>, <c>100%</c>),
/// for example <c>1,25%,100%</c>: one canary, then a quarter of the fleet, then every host.
/// </summary>
internal static class RolloutPlan
{
    /// <summary>Parses and checks a wave list; the last wave is always every host.</summary>
    /// <exception cref="ArgumentException">A wave is not a positive count or a share in (0%, 100%], or the waves do not grow.</exception>
    public static IReadOnlyList<string> Parse(string waves)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(waves);
        var parsed = new List<string>();
        foreach (string part in waves.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!IsWave(part))
            {
                throw new ArgumentException($"Wave '{part}' is neither a host count (such as 1) nor a share of the fleet (such as 25%).", nameof(waves));
            }

            parsed.Add(part);
        }

        if (parsed.Count == 0)
        {
            throw new ArgumentException("A rollout needs at least one wave, such as 1,25%,100%.", nameof(waves));
        }

        if (parsed[^1] != "100%")
        {
            parsed.Add("100%"); // a rollout that completes has reached every host
        }

        return parsed;
    }

    /// <summary>How many of <paramref name="liveHosts"/> hosts wave <paramref name="wave"/> covers, cumulatively: at least one, at most all.</summary>
    public static int HostsIn(string wave, int liveHosts)
    {
        if (liveHosts == 0)
        {
            return 0;
        }

        int count = wave.EndsWith('%')
            ? (int)Math.Ceiling(liveHosts * double.Parse(wave[..^1], NumberStyles.Float, CultureInfo.InvariantCulture) / 100.0)
            : int.Parse(wave, NumberStyles.None, CultureInfo.InvariantCulture);
        return Math.Clamp(count, 1, liveHosts);
    }

    private static bool IsWave(string part)
    {
        if (part.EndsWith('%'))
        {
            return double.TryParse(part[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double share) && share > 0 && share <= 100;
        }

        return int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count > 0;
    }
}
