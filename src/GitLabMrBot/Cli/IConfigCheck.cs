using GitLabMrBot.Configuration;

namespace GitLabMrBot.Cli;

/// <summary>
/// Doctor's "config valid" check: the errors in the policy file at a path, empty when it is valid.
/// A seam so tests can stand in for the loader; the default is <see cref="PolicyConfigCheck"/>.
/// </summary>
public interface IConfigCheck
{
    IReadOnlyList<string> Check(string path);
}

/// <summary>The same load <c>serve</c> and <c>validate</c> do (<see cref="PolicyConfigLoader"/>): every error with its path and line.</summary>
public sealed class PolicyConfigCheck : IConfigCheck
{
    public IReadOnlyList<string> Check(string path) =>
        [.. PolicyConfigLoader.LoadFile(path).Errors.Select(e => e.ToString())];
}
