using System.Text.Json.Nodes;
using GitLabMrBot.TestGitLab.Model;

namespace GitLabMrBot.TestGitLab.Api;

internal sealed partial class GitLabApi
{
    private const int MaxNoteLength = 1_000_000;

    /// <summary>Notes, system notes included; <c>sort</c> defaults to <c>desc</c>, <c>order_by</c> to <c>created_at</c>.</summary>
    private ApiResult ListNotes(ApiRequest r)
    {
        var mr = MergeRequest(r);
        var sort = r.Params.OneOf("sort", "asc", "desc") ?? "desc";
        var orderBy = r.Params.OneOf("order_by", "created_at", "updated_at") ?? "created_at";
        Func<NoteEntity, DateTimeOffset> key = orderBy == "updated_at" ? n => n.UpdatedAt : n => n.CreatedAt;
        var notes = sort == "asc"
            ? mr.Notes.OrderBy(key).ThenBy(n => n.Id)
            : mr.Notes.OrderByDescending(key).ThenByDescending(n => n.Id);
        return ApiResult.Paged(r, Nodes(notes, n => json.Note(n)));
    }

    private NoteEntity Note(ApiRequest r, MergeRequestEntity mr) =>
        int.TryParse(r["note_id"], out var id) && mr.Notes.Find(n => n.Id == id) is { } note
            ? note
            // `noteable.notes.find` raises RecordNotFound, which the API answers with its generic message
            // (lib/api/helpers/notes_helpers.rb, lib/api/api.rb).
            : throw new ApiError(ApiResult.Message(404, "404 Not found"));

    private ApiResult GetNote(ApiRequest r)
    {
        var mr = MergeRequest(r);
        return ApiResult.Ok(json.Note(Note(r, mr)));
    }

    private ApiResult CreateNote(ApiRequest r)
    {
        var mr = MergeRequest(r);
        var body = RequireBody(r);
        var note = state.AddNote(r.Caller, mr, body, r.Params.Bool("internal") ?? false, r.Scope);
        return ApiResult.Created(json.Note(note));
    }

    /// <summary>Only the author edits a note; system notes cannot be edited. An edit fires a Note Hook with <c>action: update</c>.</summary>
    private ApiResult UpdateNote(ApiRequest r)
    {
        var mr = MergeRequest(r);
        var note = Note(r, mr);
        var body = RequireBody(r);
        if (note.System || note.Author != r.Caller)
        {
            throw ApiResult.Forbidden();
        }

        state.EditNote(note, body, r.Scope);
        return ApiResult.Ok(json.Note(note));
    }

    /// <summary>
    /// Like <c>delete_note</c>: only the author deletes (here; GitLab also lets maintainers), 204 without a body, and the
    /// note is gone for good: later reads, edits and deletes of its id are 404. Deleting fires no Note Hook.
    /// </summary>
    private ApiResult DeleteNote(ApiRequest r)
    {
        var mr = MergeRequest(r);
        var note = Note(r, mr);
        if (note.System || note.Author != r.Caller)
        {
            throw ApiResult.Forbidden();
        }

        state.DeleteNote(note);
        return new ApiResult(204, null);
    }

    private static string RequireBody(ApiRequest r)
    {
        var body = r.Params.String("body");
        if (string.IsNullOrEmpty(body))
        {
            throw new ApiError(ApiResult.Error(400, "body is missing"));
        }

        if (body.Length > MaxNoteLength)
        {
            throw new ApiError(new ApiResult(400, new JsonObject { ["message"] = new JsonObject { ["note"] = new JsonArray($"is too long (maximum is {MaxNoteLength} characters)") } }));
        }

        return body;
    }
}
