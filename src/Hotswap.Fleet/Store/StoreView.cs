namespace Hotswap;

/// <summary>Every key under a prefix as of one revision: the state of the world a follower reconciles from.</summary>
/// <param name="Entries">The keys and their entries (the dictionary is not changed after it is handed out).</param>
/// <param name="Revision">The store revision the view is complete to: every change up to it is in the view.</param>
/// <param name="Relisted">
/// <see langword="true"/> when the view comes from a new range read after the follower's resume revision was
/// compacted away (changes in between are folded into it, not replayed).
/// </param>
internal sealed record StoreView(IReadOnlyDictionary<string, StoreEntry> Entries, long Revision, bool Relisted);
