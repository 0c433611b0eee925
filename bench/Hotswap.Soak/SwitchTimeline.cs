namespace Hotswap.Soak;

/// <summary>
/// Every generation the host was switched to, in the order of the switches: the load's, then one
/// entry per reload and one per rollback. The stale check of every <see cref="Caller"/> reads it.
/// </summary>
/// <remarks>
/// <para>
/// Generation numbers only grow at a reload, but a rollback switches back to the generation kept
/// on probation, which then serves a second time: with a rollback after the third reload the
/// switches are 1, 2, 3, 4, 3, 5, ... So "never older than already seen" becomes "never earlier in
/// this list than already seen": a thread that was answered from the entry at index <c>i</c> may
/// next be answered only from a generation listed at index <c>i</c> or later. After the rollback
/// above, generation 3 may answer a thread that saw 4, but 4 may not answer it again once it saw
/// the second 3 (or once the rollback had returned before its call began), and 2 never may.
/// </para>
/// <para>
/// The runner adds an entry before it asks for the switch (so no thread can be answered from a
/// generation not listed yet) and confirms it once the switch returned: a call that starts after
/// that must be answered from the confirmed entry or a later one. An entry added for a reload that
/// then did not publish is never confirmed; the next one lists the same number again, which only
/// repeats a generation nobody could have seen. The list is sized up front and written by the
/// runner alone.
/// </para>
/// </remarks>
internal sealed class SwitchTimeline
{
    private readonly long[] _generations;
    private int _count;
    private int _confirmed;

    /// <summary>Creates the list with the first load's generation, confirmed.</summary>
    /// <param name="capacity">The most entries it will hold: the load, every reload and every rollback.</param>
    /// <param name="first">The generation of the first load.</param>
    public SwitchTimeline(int capacity, long first)
    {
        _generations = new long[capacity];
        _generations[0] = first;
        _count = 1;
    }

    /// <summary>Gets the index of the newest entry whose switch has returned.</summary>
    public int Confirmed => Volatile.Read(ref _confirmed);

    /// <summary>Gets the number of entries.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Gets the generation of entry <paramref name="index"/>.</summary>
    /// <param name="index">The entry.</param>
    /// <returns>Its generation number.</returns>
    public long this[int index] => Volatile.Read(ref _generations[index]);

    /// <summary>Lists the generation the next switch is about to serve; called before the switch is asked for.</summary>
    /// <param name="generation">The generation number.</param>
    /// <returns>The entry's index, for <see cref="Confirm"/>.</returns>
    /// <exception cref="InvalidOperationException">More switches than the capacity.</exception>
    public int Add(long generation)
    {
        int index = _count;
        if (index == _generations.Length)
        {
            throw new InvalidOperationException($"more than the {_generations.Length} switches expected.");
        }

        Volatile.Write(ref _generations[index], generation);
        Volatile.Write(ref _count, index + 1);
        return index;
    }

    /// <summary>Marks entry <paramref name="index"/> as served: its switch returned.</summary>
    /// <param name="index">The entry <see cref="Add"/> returned.</param>
    public void Confirm(int index) => Volatile.Write(ref _confirmed, index);

    /// <summary>Finds the first entry at or after <paramref name="from"/> that lists <paramref name="generation"/>.</summary>
    /// <param name="generation">The generation that answered.</param>
    /// <param name="from">The earliest entry it may be.</param>
    /// <returns>The entry's index, or -1 when no entry from there lists it.</returns>
    public int IndexOf(long generation, int from)
    {
        int count = Count;
        for (int i = from; i < count; i++)
        {
            if (Volatile.Read(ref _generations[i]) == generation)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Finds the newest entry before <paramref name="before"/> that lists <paramref name="generation"/>, for a report.</summary>
    /// <param name="generation">The generation.</param>
    /// <param name="before">The first entry not to look at.</param>
    /// <returns>The entry's index, or -1.</returns>
    public int LastIndexOf(long generation, int before)
    {
        for (int i = Math.Min(before, Count) - 1; i >= 0; i--)
        {
            if (Volatile.Read(ref _generations[i]) == generation)
            {
                return i;
            }
        }

        return -1;
    }
}
