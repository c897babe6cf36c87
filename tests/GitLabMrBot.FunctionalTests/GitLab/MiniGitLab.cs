using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GitLabMrBot.FunctionalTests.GitLab;

/// <summary>
/// A deliberately tiny GitLab for the client's own tests: a real Kestrel server on 127.0.0.1:0 with the
/// handful of routes these tests call, one project (1) with one MR (!2), request recording and fault
/// injection. (The richer test GitLab for end-to-end tests lives elsewhere.)
/// </summary>
internal sealed class MiniGitLab : IAsyncDisposable
{
    public const string Token = "glpat-mini-gitlab-secret-0042";
    public const long BotUserId = 99;
    public const long HumanUserId = 7;
    public const long ProjectId = 1;
    public const long MrIid = 2;
    public const int DiffCount = 5;
    public const int ServerPageSize = 2;

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Fault>> _faults = new();
    private readonly Lock _gate = new();
    private readonly List<JsonObject> _notes = [];
    private readonly List<string> _mrLabels = ["existing"];
    private readonly List<string> _projectLabels = ["existing", "bug"];
    private long _nextNoteId = 1000;

    private MiniGitLab(WebApplication app)
    {
        _app = app;
    }

    public Uri BaseUrl { get; private set; } = null!;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Repository files by path (default-branch content).</summary>
    public ConcurrentDictionary<string, string> Files { get; } = new(StringComparer.Ordinal);

    public static string MrPath => $"/api/v4/projects/{ProjectId}/merge_requests/{MrIid}";

    public static async Task<MiniGitLab> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new MiniGitLab(app);
        server.Map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.BaseUrl = new Uri(address);
        return server;
    }

    /// <summary>The next <paramref name="times"/> requests of <paramref name="method"/> on exactly <paramref name="path"/> meet <paramref name="fault"/>.</summary>
    public void Inject(string method, string path, Fault fault, int times = 1)
    {
        var queue = _faults.GetOrAdd($"{method} {path}", _ => new ConcurrentQueue<Fault>());
        for (var i = 0; i < times; i++)
        {
            queue.Enqueue(fault);
        }
    }

    public IReadOnlyList<RecordedRequest> RequestsTo(string method, string path) =>
        Requests.Where(r => r.Method == method && r.Path == path).ToList();

    public IReadOnlyList<JsonObject> Notes
    {
        get
        {
            lock (_gate)
            {
                return _notes.Select(n => (JsonObject)n.DeepClone()).ToList();
            }
        }
    }

    public IReadOnlyList<string> MrLabels
    {
        get
        {
            lock (_gate)
            {
                return [.. _mrLabels];
            }
        }
    }

    public IReadOnlyList<string> ProjectLabels
    {
        get
        {
            lock (_gate)
            {
                return [.. _projectLabels];
            }
        }
    }

    public void AddNote(long authorId, string body, bool system = false)
    {
        lock (_gate)
        {
            _notes.Add(NewNote(authorId, body, system));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void Map(WebApplication app)
    {
        app.Use(RecordAndInjectFaults);

        var api = app.MapGroup("/api/v4");
        api.MapGet("/user", () => Json(User(BotUserId, "mr-bot")));
        api.MapGet("/projects/{id:long}/merge_requests/{iid:long}", (long id, long iid) => id == ProjectId && iid == MrIid ? Json(MergeRequest()) : NotFound("404 Not found"));
        api.MapPut("/projects/{id:long}/merge_requests/{iid:long}", (long id, long iid, JsonObject body) => id == ProjectId && iid == MrIid ? UpdateMergeRequest(body) : NotFound("404 Not found"));
        api.MapGet("/projects/{id:long}/merge_requests/{iid:long}/diffs", (HttpContext ctx) => Paged(ctx, Enumerable.Range(1, DiffCount).Select(i => (JsonNode)new JsonObject
        {
            ["old_path"] = $"src/file{i}.cs",
            ["new_path"] = $"src/file{i}.cs",
            ["diff"] = "@@ -1 +1 @@\n-a\n+b\n",
            ["new_file"] = false,
            ["renamed_file"] = false,
            ["deleted_file"] = false,
        }).ToList()));
        api.MapGet("/projects/{id:long}/merge_requests/{iid:long}/notes", (HttpContext ctx) =>
        {
            lock (_gate)
            {
                return Paged(ctx, _notes.Select(n => n.DeepClone()).ToList());
            }
        });
        api.MapPost("/projects/{id:long}/merge_requests/{iid:long}/notes", (JsonObject body) =>
        {
            var note = NewNote(BotUserId, body["body"]!.GetValue<string>(), system: false);
            lock (_gate)
            {
                _notes.Add(note);
            }
            return Results.Json(note.DeepClone(), statusCode: 201);
        });
        api.MapPut("/projects/{id:long}/merge_requests/{iid:long}/notes/{noteId:long}", (long noteId, JsonObject body) =>
        {
            lock (_gate)
            {
                var note = _notes.FirstOrDefault(n => n["id"]!.GetValue<long>() == noteId);
                if (note is null)
                {
                    return NotFound("404 Not found");
                }
                note["body"] = body["body"]!.GetValue<string>();
                return Json(note.DeepClone());
            }
        });
        api.MapGet("/projects/{id:long}/labels", (HttpContext ctx) =>
        {
            lock (_gate)
            {
                return Paged(ctx, _projectLabels.Select((name, i) => (JsonNode)new JsonObject { ["id"] = i + 1, ["name"] = name, ["color"] = "#428BCA" }).ToList());
            }
        });
        api.MapPost("/projects/{id:long}/labels", (JsonObject body) =>
        {
            var name = body["name"]!.GetValue<string>();
            lock (_gate)
            {
                if (_projectLabels.Contains(name))
                {
                    return Results.Json(new JsonObject { ["message"] = "Label already exists" }, statusCode: 409);
                }
                _projectLabels.Add(name);
                return Results.Json(new JsonObject { ["id"] = _projectLabels.Count, ["name"] = name, ["color"] = body["color"]?.DeepClone() }, statusCode: 201);
            }
        });
        // Kestrel decodes the path except %2F, so the encoded file path arrives as one segment.
        api.MapGet("/projects/{id:long}/repository/files/{filePath}/raw", (string filePath) =>
            Files.TryGetValue(Uri.UnescapeDataString(filePath), out var text) ? Results.Text(text, "text/plain") : NotFound("404 File Not Found"));
        api.MapGet("/users/{id:long}/status", (long id) => id == HumanUserId
            ? Json(new JsonObject { ["emoji"] = "palm_tree", ["availability"] = "busy", ["message"] = "On leave" })
            : NotFound("404 User Not Found"));
        api.MapGet("/users", (string? username) => Json(new JsonArray(username == "alice" ? [User(HumanUserId, "alice")] : [])));
        app.MapFallback(() => Results.Json(new JsonObject { ["error"] = "404 Not Found" }, statusCode: 404));
    }

    private async Task RecordAndInjectFaults(HttpContext ctx, RequestDelegate next)
    {
        ctx.Request.EnableBuffering();
        var body = await new StreamReader(ctx.Request.Body).ReadToEndAsync(ctx.RequestAborted);
        ctx.Request.Body.Position = 0;
        Requests.Enqueue(new RecordedRequest(
            ctx.Request.Method,
            ctx.Request.Path.Value ?? "",
            ctx.Features.Get<IHttpRequestFeature>()!.RawTarget,
            ctx.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()),
            ctx.Request.Headers["PRIVATE-TOKEN"].ToString() is { Length: > 0 } token ? token : null,
            ctx.Request.Headers["X-Gitlab-Event-UUID"].ToString() is { Length: > 0 } uuid ? uuid : null,
            body,
            Stopwatch.GetTimestamp()));

        if (ctx.Request.Headers["PRIVATE-TOKEN"] != Token)
        {
            ctx.Response.StatusCode = 401;
            await ctx.Response.WriteAsJsonAsync(new JsonObject { ["message"] = "401 Unauthorized" });
            return;
        }

        if (!(_faults.TryGetValue($"{ctx.Request.Method} {ctx.Request.Path}", out var queue) && queue.TryDequeue(out var fault)))
        {
            await next(ctx);
            return;
        }

        if (fault.AfterHandling)
        {
            // Apply the request for real, then lose or spoil the answer: what the client must survive.
            var original = ctx.Features.Get<IHttpResponseBodyFeature>()!;
            ctx.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(new MemoryStream()));
            await next(ctx);
            ctx.Features.Set(original);
            ctx.Response.Clear();
        }

        if (fault.Status is null)
        {
            ctx.Abort();
            return;
        }
        ctx.Response.StatusCode = fault.Status.Value;
        if (fault.RetryAfter is not null)
        {
            ctx.Response.Headers.RetryAfter = fault.RetryAfter;
        }
        if (fault.Status == 429)
        {
            await ctx.Response.WriteAsync("Retry later\n");
        }
        else
        {
            await ctx.Response.WriteAsJsonAsync(new JsonObject { ["message"] = $"{fault.Status} injected" });
        }
    }

    private IResult UpdateMergeRequest(JsonObject body)
    {
        lock (_gate)
        {
            foreach (var label in Split(body["add_labels"]))
            {
                if (!_mrLabels.Contains(label))
                {
                    _mrLabels.Add(label);
                }
                if (!_projectLabels.Contains(label))
                {
                    _projectLabels.Add(label);
                }
            }
            foreach (var label in Split(body["remove_labels"]))
            {
                _mrLabels.Remove(label);
            }
        }
        return Json(MergeRequest());
    }

    private static string[] Split(JsonNode? list) =>
        list is null ? [] : list.GetValue<string>().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private JsonObject MergeRequest()
    {
        lock (_gate)
        {
            return new JsonObject
            {
                ["id"] = 500,
                ["iid"] = MrIid,
                ["project_id"] = ProjectId,
                ["title"] = "Add feature",
                ["description"] = "Body",
                ["state"] = "opened",
                ["draft"] = false,
                ["source_branch"] = "feature",
                ["target_branch"] = "main",
                ["labels"] = new JsonArray([.. _mrLabels.Select(l => (JsonNode)JsonValue.Create(l))]),
                ["author"] = User(HumanUserId, "alice"),
                ["assignees"] = new JsonArray(),
                ["reviewers"] = new JsonArray(),
                ["sha"] = "abc123",
                ["changes_count"] = "5",
                ["unmodelled_field"] = new JsonObject { ["anything"] = true },
            };
        }
    }

    private JsonObject NewNote(long authorId, string body, bool system) => new()
    {
        ["id"] = Interlocked.Increment(ref _nextNoteId),
        ["body"] = body,
        ["author"] = User(authorId, authorId == BotUserId ? "mr-bot" : "alice"),
        ["system"] = system,
        ["created_at"] = "2026-01-01T00:00:00.000Z",
    };

    private static JsonObject User(long id, string username) => new() { ["id"] = id, ["username"] = username, ["name"] = username, ["state"] = "active" };

    private static IResult Json(JsonNode node) => Results.Json(node);

    private static IResult NotFound(string message) => Results.Json(new JsonObject { ["message"] = message }, statusCode: 404);

    /// <summary>GitLab's offset pagination with a small fixed page size, so three pages are easy to reach.</summary>
    private static IResult Paged(HttpContext ctx, List<JsonNode> items)
    {
        var page = int.TryParse(ctx.Request.Query["page"], out var p) && p > 0 ? p : 1;
        var slice = items.Skip((page - 1) * ServerPageSize).Take(ServerPageSize).ToList();
        var hasNext = page * ServerPageSize < items.Count;
        ctx.Response.Headers["x-page"] = page.ToString(System.Globalization.CultureInfo.InvariantCulture);
        ctx.Response.Headers["x-next-page"] = hasNext ? (page + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
        ctx.Response.Headers["x-total"] = items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Json(new JsonArray([.. slice]));
    }
}

/// <summary>A fault for one request: a status (with optional Retry-After) or, when <see cref="Status"/> is null, a dropped connection.</summary>
internal sealed record Fault(int? Status, bool AfterHandling = false, string? RetryAfter = null)
{
    public static Fault Drop(bool afterHandling = false) => new(null, afterHandling);
}

internal sealed record RecordedRequest(
    string Method,
    string Path,
    string RawTarget,
    IReadOnlyDictionary<string, string> Query,
    string? Token,
    string? EventUuid,
    string Body,
    long Timestamp)
{
    public JsonObject? JsonBody => string.IsNullOrEmpty(Body) ? null : JsonNode.Parse(Body) as JsonObject;

    public static TimeSpan Between(RecordedRequest first, RecordedRequest second) => Stopwatch.GetElapsedTime(first.Timestamp, second.Timestamp);
}
