using System.Reflection;
using Microsoft.Extensions.Logging;

namespace GitLabMrBot.UnitTests;

/// <summary>
/// Every <c>[LoggerMessage]</c> of the bot has an EventId of its own, so a log query by id finds one message. Ids are
/// numbered by area: 1xxx webhooks, 2xxx inbox and its stores, 3xxx processing (dispatch, handlers, sweep),
/// 4xxx reconciliation (read, decide, act: Processing/Reconciliation and GitLab/PlanExecutor), 5xxx GitLab client,
/// 6xxx configuration, 7xxx CLI, 8xxx health.
/// </summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void Every_log_message_of_the_bot_has_an_event_id_of_its_own()
    {
        var messages = LogMessages(typeof(BotApplication).Assembly);

        // The attributes are on the partial methods the source generator implements: finding none means the lookup broke.
        Assert.True(messages.Count > 50, $"only {messages.Count} [LoggerMessage] methods found");
        Assert.All(messages, m => Assert.True(m.EventId > 0, $"{m.Method} has no EventId"));
        Assert.Empty(Duplicates(messages));
    }

    [Fact]
    public void A_shared_event_id_is_reported_with_every_method_that_uses_it()
    {
        var found = Duplicates([(3001, "A.X"), (3002, "C.Z"), (3001, "B.Y")]);

        Assert.Equal(["3001: A.X, B.Y"], found);
    }

    private static List<(int EventId, string Method)> LogMessages(Assembly assembly) =>
        [.. assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(method => (Method: method, Attribute: method.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .Select(m => (m.Attribute!.EventId, $"{m.Method.DeclaringType!.FullName}.{m.Method.Name}"))];

    private static List<string> Duplicates(IEnumerable<(int EventId, string Method)> messages) =>
        [.. messages
            .GroupBy(m => m.EventId)
            .Where(g => g.Count() > 1)
            .OrderBy(g => g.Key)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method).Order(StringComparer.Ordinal))}")];
}
