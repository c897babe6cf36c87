namespace GitLabMrBot.TestGitLab;

/// <summary>Notes changed behind the bot's back, as a person in GitLab's UI would.</summary>
public sealed partial class TestGitLabServer
{
    /// <summary>
    /// Deletes a note as its author would in the UI (GitLab's <c>Notes::DestroyService</c>): the note is gone, a PUT to its id
    /// answers 404 from then on, and no Note Hook fires. False when the MR has no such note.
    /// </summary>
    public bool DeleteNote(GitLabMergeRequest mergeRequest, int noteId)
    {
        lock (state.Gate)
        {
            var mr = state.RequireMergeRequest(mergeRequest);
            if (mr.Notes.Find(n => n.Id == noteId) is not { } note)
            {
                return false;
            }
            state.DeleteNote(note);
            return true;
        }
    }
}
