using System.Reflection;
using Hotswap;
using Microsoft.Data.Sqlite;
using TestContracts;

[assembly: HotswapPlugin(typeof(SqliteUser.SqliteUserPlugin))]

namespace SqliteUser;

/// <summary>
/// Keeps notes in a temporary SQLite file through pooled connections (Microsoft.Data.Sqlite's
/// default for a file), and answers "count". With the setting "name.cleanup" = "true" it runs the
/// cleanup documented in docs/writing-plugins.md (Known pins of popular libraries); without it, the
/// library's handlers and timers pin this version.
/// </summary>
public sealed class SqliteUserPlugin : Plugin
{
    private readonly PluginLocation _where = Probe.Locate(typeof(SqliteUserPlugin).Assembly);
    private readonly string _database = Path.Combine(Path.GetTempPath(), "hotswap-sqlite-" + Guid.NewGuid().ToString("N") + ".db");

    private bool Cleanup => _where.Setting("cleanup") == "true";

    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE notes (text TEXT NOT NULL); INSERT INTO notes VALUES ('one'), ('two');";
        command.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public override object? Invoke(string name, params object?[] args)
    {
        if (name != "count")
        {
            return null;
        }

        using SqliteConnection connection = Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM notes";
        return (long)command.ExecuteScalar()!;
    }

    public override Task OnFreeAsync(CancellationToken cancellationToken)
    {
        if (Cleanup)
        {
            // The cleanup docs/writing-plugins.md shows (a test compares the two): every pool shut down
            // (its timer disposed, its connections closed); then the connection factory's prune timer
            // and its two handlers on ProcessExit and DomainUnload (lambdas on the factory: equal
            // delegates remove them).
            #region sqlite-cleanup
            SqliteConnection.ClearAllPools();
            object factory = typeof(SqliteConnection).Assembly.GetType("Microsoft.Data.Sqlite.SqliteConnectionFactory", throwOnError: true)!.GetField("Instance")!.GetValue(null)!;
            ((IDisposable)factory.GetType().GetField("_pruneTimer", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(factory)!).Dispose();
            foreach (MethodInfo handler in factory.GetType().GetMethods(BindingFlags.Instance | BindingFlags.NonPublic).Where(static m => m.GetParameters() is [{ ParameterType: var s }, { ParameterType: var e }] && s == typeof(object) && e == typeof(EventArgs)))
            {
                AppDomain.CurrentDomain.ProcessExit -= handler.CreateDelegate<EventHandler>(factory);
                AppDomain.CurrentDomain.DomainUnload -= handler.CreateDelegate<EventHandler>(factory);
            }
            #endregion
        }

        try
        {
            File.Delete(_database);
        }
        catch (IOException)
        {
            // Without the cleanup a pooled connection keeps the file open, which Windows refuses to delete.
        }

        return Task.CompletedTask;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _database }.ToString());
        connection.Open();
        return connection;
    }
}
