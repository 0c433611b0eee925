using System.Runtime.CompilerServices;

namespace Hotswap;

/// <summary>
/// One thread's lease counter. Each thread counts its own leases in its own slot, so a call writes
/// only to memory its thread owns: no shared cache line bounces between cores on the call path.
/// </summary>
/// <remarks>
/// <para>
/// A slot points to a <see cref="LeaseCell"/> that counts leases on exactly one generation. When
/// the thread calls into a different generation and its cell counts nothing, the slot is pointed
/// at a fresh cell (one allocation per thread per generation); a cell is never reused, so a reader
/// never sees one generation's count under another's name.
/// </para>
/// <para>
/// Slots are listed, once, in a process-wide append-only list that the retiring side walks to sum
/// a generation's leases. The slot of a thread that ended goes back to a free list through its
/// owner's finalizer, so the list grows with the number of threads alive at once, not with the
/// number ever started.
/// </para>
/// </remarks>
internal sealed class LeaseSlot
{
    [ThreadStatic]
    private static SlotOwner? t_owner;

    [ThreadStatic]
    private static LeaseSlot? t_slot;

    /// <summary>The calling thread's cell (its slot's <see cref="Cell"/>), read without going through the slot on the call path.</summary>
    [ThreadStatic]
    internal static LeaseCell? t_cell;

    private static LeaseSlot? s_head;

    private int _inUse = 1;

    private LeaseSlot(LeaseSlot? next) => Next = next;

    /// <summary>Gets the cell this slot counts in; written only by the owning thread.</summary>
    public LeaseCell? Cell;

    /// <summary>Gets the next slot of the process-wide list; the list only grows.</summary>
    public LeaseSlot? Next { get; }

    /// <summary>Gets the first slot of the process-wide list.</summary>
    public static LeaseSlot? Head => Volatile.Read(ref s_head);

    /// <summary>Gets the calling thread's slot, claiming or creating one on the thread's first call.</summary>
    public static LeaseSlot Current
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => t_slot ?? Claim();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static LeaseSlot Claim()
    {
        LeaseSlot? slot = null;
        for (LeaseSlot? s = Head; s is not null; s = s.Next)
        {
            if (Volatile.Read(ref s._inUse) == 0 && Interlocked.CompareExchange(ref s._inUse, 1, 0) == 0)
            {
                slot = s;
                break;
            }
        }

        if (slot is null)
        {
            LeaseSlot? head;
            do
            {
                head = Head;
                slot = new LeaseSlot(head);
            }
            while (Interlocked.CompareExchange(ref s_head, slot, head) != head);
        }

        t_owner = new SlotOwner(slot);
        t_slot = slot;
        return slot;
    }

    /// <summary>Lives in the thread's static storage; when the thread ends it becomes garbage and hands the slot back.</summary>
    private sealed class SlotOwner(LeaseSlot slot)
    {
        ~SlotOwner()
        {
            // A thread ends with no lease counted in its slot: every lease taken on a slot is
            // released on the same thread, in a finally block, before the thread can end.
            slot.Cell = null;
            Volatile.Write(ref slot._inUse, 0);
        }
    }
}

/// <summary>A count of one thread's leases on one generation's <see cref="LeaseCounter"/>.</summary>
/// <remarks>
/// Padded so that two threads' counts never share a cache line, wherever the garbage collector
/// places the two cells: the padding (laid out between the reference and the count) keeps a
/// cell's count at least 64 bytes from any other cell's. An unrelated object placed right after a
/// cell may still share the count's line.
/// </remarks>
internal sealed class LeaseCell(LeaseCounter counter)
{
    /// <summary>The counter counted in; never changes. A drained counter reaches nothing, so a thread's cell pins nothing.</summary>
    public readonly LeaseCounter Counter = counter;

    /// <summary>The number of leases; written only by the owning thread.</summary>
    public int Count;

#pragma warning disable CS0169, IDE0051 // Padding, never read.
    private long _pad0, _pad1, _pad2, _pad3, _pad4, _pad5, _pad6, _pad7;
#pragma warning restore CS0169, IDE0051
}
