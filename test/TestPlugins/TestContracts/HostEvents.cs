namespace TestContracts;

/// <summary>A host-owned static event: a plugin that subscribes and never unsubscribes pins its version.</summary>
public static class HostEvents
{
    public static event EventHandler? Tick;

    public static int SubscriberCount => Tick?.GetInvocationList().Length ?? 0;

    public static void RaiseTick() => Tick?.Invoke(null, EventArgs.Empty);

    public static void UnsubscribeAll() => Tick = null;
}
