namespace Trine.Contracts;

public interface ILink
{
    string Describe();
}
