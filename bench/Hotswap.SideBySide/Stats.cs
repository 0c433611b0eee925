namespace Hotswap.SideBySide;

/// <summary>Medians.</summary>
internal static class Stats
{
    /// <summary>The median of the values (the mean of the middle two for an even count).</summary>
    /// <param name="values">The values; not empty.</param>
    /// <returns>The median.</returns>
    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
