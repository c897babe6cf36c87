using System.IO.Pipelines;

// The baseline for bench/ingest: the same host builder and route as the bot, answering 202 after reading
// the body and doing nothing else. Whatever the bot costs beyond this is its own work (auth, parsing, commit).
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.MapGet("/healthz", () => TypedResults.Ok());
app.MapPost("/webhooks/gitlab", async (HttpRequest request) =>
{
    await DrainAsync(request.BodyReader, request.HttpContext.RequestAborted);
    return TypedResults.StatusCode(StatusCodes.Status202Accepted);
});

await app.RunAsync();

// Reads the whole body without copying it, as any real receiver must before it can answer.
static async Task DrainAsync(PipeReader reader, CancellationToken cancellationToken)
{
    while (true)
    {
        var read = await reader.ReadAsync(cancellationToken);
        reader.AdvanceTo(read.Buffer.End);
        if (read.IsCompleted || read.IsCanceled)
        {
            return;
        }
    }
}
