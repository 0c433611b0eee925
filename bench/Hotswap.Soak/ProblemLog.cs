namespace Hotswap.Soak;

/// <summary>
/// The first problems the soak saw, as sentences, shared by every thread: a few of each kind, so
/// that one frequent problem does not hide the others. The rest are only counted.
/// </summary>
internal sealed class ProblemLog
{
    private const int KeptPerKind = 5;

    private readonly Lock _gate = new();
    private readonly List<string> _problems = [];
    private readonly Dictionary<string, int> _kept = [];

    /// <summary>Gets the problems kept, in the order they came.</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (_gate)
            {
                return [.. _problems];
            }
        }
    }

    /// <summary>Keeps <paramref name="problem"/> if fewer than 5 of its kind are kept.</summary>
    /// <param name="kind">What kind of problem: the sentence starts with it.</param>
    /// <param name="problem">The rest of the sentence.</param>
    public void Add(string kind, string problem)
    {
        lock (_gate)
        {
            int kept = _kept.GetValueOrDefault(kind);
            if (kept < KeptPerKind)
            {
                _kept[kind] = kept + 1;
                _problems.Add($"{kind} {problem}");
            }
        }
    }
}
