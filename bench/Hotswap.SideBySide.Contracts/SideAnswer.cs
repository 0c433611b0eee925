namespace Hotswap.SideBySide.Contracts;

/// <summary>What one <see cref="ISideProbe.ServeAsync"/> call saw, part by part.</summary>
/// <param name="StartBuild">The plugin build whose code started the call.</param>
/// <param name="DependencyBuild">The build of the dependency assembly the call reached after the swap.</param>
/// <param name="DependencyLoadedLate">Whether the dependency was not yet loaded into the call's load context when the call reached it.</param>
/// <param name="ConnectionBuild">The build that opened the connection the call wrote to.</param>
/// <param name="EndBuild">The plugin build whose code ended the call.</param>
public sealed record SideAnswer(int StartBuild, int DependencyBuild, bool DependencyLoadedLate, int ConnectionBuild, int EndBuild)
{
    /// <summary>Gets a value indicating whether any part of the call saw another build than the one that started it.</summary>
    public bool Mixed => DependencyBuild != StartBuild || ConnectionBuild != StartBuild || EndBuild != StartBuild;
}
