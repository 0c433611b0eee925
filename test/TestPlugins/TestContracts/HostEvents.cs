namespace TestContracts;

/// <summary>A host-owned static event: a plugin that subscribes and never unsubscribes pins its version.</summary>
public static class HostEvents
{
    public static event EventHandler? Tick;

    public static int SubscriberCount => Tick?.GetInvocationList().Length ?? 0;

    public static void RaiseTick() => Tick?.Invoke(null, EventArgs.Empty);

    public static void UnsubscribeAll() => Tick = null;

    /// <summary>Weak references to the load contexts of the subscribers' code, to prove one collected once it let go.</summary>
    public static WeakReference[] SubscriberContexts()
        => [.. (Tick?.GetInvocationList() ?? []).Select(static d => new WeakReference(System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(d.Method.DeclaringType!.Assembly)))];
}
