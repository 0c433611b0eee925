namespace DiagnoseHost;

/// <summary>What a careless host keeps: a cache keyed by a plugin's type, and the last error a plugin threw.</summary>
internal static class HostCache
{
    public static Dictionary<Type, string> Items { get; } = [];

    public static Exception? LastError { get; set; }

    public static void Remember(Type type, string name)
    {
        lock (Items)
        {
            Items[type] = name;
        }
    }
}
