namespace TestContracts;

/// <summary>What each plugin of the alpha &lt;- beta &lt;- gamma chain exports.</summary>
public interface ILink
{
    string Describe();
}
