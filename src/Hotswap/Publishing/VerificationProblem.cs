namespace Hotswap;

/// <summary>One problem found in a version folder.</summary>
/// <param name="FilePath">The full path of the file concerned.</param>
/// <param name="Message">What is wrong, as a sentence.</param>
public readonly record struct VerificationProblem(string FilePath, string Message)
{
    /// <summary>Returns <c>file: message</c>.</summary>
    /// <returns>The problem as one line.</returns>
    public override string ToString() => $"{FilePath}: {Message}";
}
