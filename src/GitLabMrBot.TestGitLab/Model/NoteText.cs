namespace GitLabMrBot.TestGitLab.Model;

/// <summary>
/// What GitLab stores of a note body. Every note on a merge request passes through the quick-action extractor
/// (called by <c>Notes::CreateService</c> and <c>Notes::UpdateService</c>; docs/gitlab-behaviour.md §3.3),
/// which deletes every <c>\r</c> and returns <c>content.rstrip</c>; that result is what is saved and read back.
/// Quick actions themselves are not emulated.
/// </summary>
internal static class NoteText
{
    // Ruby's String#rstrip removes trailing ASCII whitespace (space, \t, \n, \v, \f, \r) and NUL, nothing else.
    private static readonly char[] RubyWhitespace = [' ', '\t', '\n', '\v', '\f', '\r', '\0'];

    public static string AsStored(string body) => body.Replace("\r", "", StringComparison.Ordinal).TrimEnd(RubyWhitespace);
}
