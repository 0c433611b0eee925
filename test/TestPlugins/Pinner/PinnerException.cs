namespace Pinner;

/// <summary>An exception of a plugin type: a host that keeps it keeps the version.</summary>
public sealed class PinnerException : Exception
{
    public PinnerException()
    {
    }

    public PinnerException(string message)
        : base(message)
    {
    }

    public PinnerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
