namespace Hotswap.Hosting;

/// <summary>Marks a Hotswap health check added under one name, so that adding it again is a no-op.</summary>
/// <param name="Name">The check's name.</param>
internal sealed record HealthCheckName(string Name);
