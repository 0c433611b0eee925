namespace Hotswap.Tests.Support;

/// <summary>
/// Tests that run real builds in child processes (the CLI, the sample demos) share projects such as
/// Hotswap.Abstractions: they run one at a time, beside the other tests.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessBuilds
{
    public const string Name = "Process builds";
}
