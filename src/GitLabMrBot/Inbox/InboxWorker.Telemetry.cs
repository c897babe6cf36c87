using System.Diagnostics;
using GitLabMrBot.Events;
using GitLabMrBot.Observability;

namespace GitLabMrBot.Inbox;

public sealed partial class InboxWorker
{
    /// <summary>Counts the batch's evaluation by outcome with its duration, and closes its span with that outcome.</summary>
    private void RecordEvaluation(Activity? activity, string outcome, long started, Exception? failure = null)
    {
        var outcomeTag = new KeyValuePair<string, object?>("outcome", outcome);
        BotTelemetry.Evaluations.Add(1, outcomeTag);
        BotTelemetry.EvaluationDuration.Record(time.GetElapsedTime(started).TotalSeconds, outcomeTag);
        if (activity is not null)
        {
            activity.SetTag("mrbot.outcome", outcome);
            if (failure is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, failure.GetType().Name);
            }
        }
    }

    private static void CountDeadLetters(ClaimedBatch batch) => BotTelemetry.DeadLetters.Add(batch.Deliveries.Count);

    /// <summary>"MR 42!7" for a merge request's subject, so a log line names the MR as GitLab writes it.</summary>
    private static string SubjectText(string subject) =>
        MergeRequestRef.FromSubject(subject) is { } mergeRequest ? $"MR {mergeRequest}" : subject;
}
