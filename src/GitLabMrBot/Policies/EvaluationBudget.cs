using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace GitLabMrBot.Policies;

/// <summary>
/// How long the regular expressions of one evaluation may run: <paramref name="Total"/> for all of them together,
/// <paramref name="PerPolicy"/> for those of one policy. Time is read from <paramref name="Time"/> only.
/// </summary>
public sealed record EvaluationLimits(TimeSpan Total, TimeSpan PerPolicy, TimeProvider Time);

/// <summary>What a timed match found.</summary>
internal enum MatchOutcome
{
    NoMatch,
    Match,

    /// <summary>The match alone ran past the per-match cap: the pattern is too slow for this text.</summary>
    TimedOut,

    /// <summary>The evaluation's or the policy's budget ran out before or during the match: nothing is known.</summary>
    OutOfBudget,
}

/// <summary>
/// The clock of one <see cref="PolicyEngine.Evaluate(MergeRequestSnapshot, CompiledConfig)"/> call. Regex conditions
/// ask it how much time is left before each match and give the match no more than that, so an evaluation ends within
/// its budget (plus one match's timer granularity) however slow the machine is: a slower machine decides fewer
/// conditions, it never runs longer. Results of regex conditions are kept for the evaluation, so the rounds that
/// settle label conditions do not run (or pay for) a regex twice.
/// </summary>
internal sealed class EvaluationBudget(EvaluationLimits limits)
{
    private readonly long _start = limits.Time.GetTimestamp();
    private readonly Dictionary<string, TimeSpan> _spentByPolicy = new(StringComparer.Ordinal);
    private readonly Dictionary<ICondition, ConditionResult> _results = new(ReferenceEqualityComparer.Instance);
    private string? _policy;
    private long _policyStart;

    public EvaluationLimits Limits => limits;

    /// <summary>From now until <see cref="EndPolicy"/>, time counts against <paramref name="policy"/> too.</summary>
    public void BeginPolicy(string policy)
    {
        _policy = policy;
        _policyStart = limits.Time.GetTimestamp();
    }

    public void EndPolicy()
    {
        if (_policy is { } policy)
        {
            _spentByPolicy[policy] = SpentBy(policy) + limits.Time.GetElapsedTime(_policyStart);
            _policy = null;
        }
    }

    /// <summary>Time left for the next match: the smaller of what is left of the evaluation and of the current policy.</summary>
    public TimeSpan Remaining
    {
        get
        {
            var total = limits.Total - limits.Time.GetElapsedTime(_start);
            if (_policy is null)
            {
                return total;
            }
            var policy = limits.PerPolicy - SpentBy(_policy) - limits.Time.GetElapsedTime(_policyStart);
            return total < policy ? total : policy;
        }
    }

    /// <summary>Which budget ran out, for the reason shown in the summary.</summary>
    public string DescribeExhausted()
    {
        // The budget with less left is the one that stopped the match (a match may stop a little before either is spent).
        var totalLeft = limits.Total - limits.Time.GetElapsedTime(_start);
        var policyLeft = _policy is null ? TimeSpan.MaxValue : limits.PerPolicy - SpentBy(_policy) - limits.Time.GetElapsedTime(_policyStart);
        return totalLeft <= policyLeft
            ? $"the evaluation's time budget for regular expressions ({limits.Total.TotalMilliseconds:0} ms for all policies) ran out"
            : $"the policy's time budget for regular expressions ({limits.PerPolicy.TotalMilliseconds:0} ms) ran out";
    }

    /// <summary>The result of <paramref name="condition"/> for this evaluation: computed once, then reused.</summary>
    public ConditionResult Once(ICondition condition, Func<ConditionResult> evaluate)
    {
        if (!_results.TryGetValue(condition, out var result))
        {
            result = evaluate();
            _results[condition] = result;
        }
        return result;
    }

    private TimeSpan SpentBy(string policy) => _spentByPolicy.GetValueOrDefault(policy);
}

/// <summary>
/// A configured regular expression with a per-match timeout cap, that can run a match with a shorter timeout when
/// less of the budget is left. Regex fixes its timeout at construction, so copies with shorter timeouts (see
/// <see cref="Bucket"/>: never more than the time left) are made when first needed and kept.
/// </summary>
internal sealed class TimedRegex(Regex regex)
{
    private static readonly TimeSpan Shortest = TimeSpan.FromMilliseconds(1);
    private readonly ConcurrentDictionary<int, Regex> _shorter = new();

    public Regex Regex => regex;

    public TimeSpan MatchTimeout => regex.MatchTimeout;

    /// <summary>Whether the linear-time engine runs it (no backtracking, so no catastrophic patterns).</summary>
    public bool Linear => (regex.Options & RegexOptions.NonBacktracking) != 0;

    public MatchOutcome Match(string input, EvaluationBudget? budget)
    {
        var run = regex;
        if (budget is not null)
        {
            var remaining = budget.Remaining;
            if (remaining < Shortest)
            {
                return MatchOutcome.OutOfBudget;
            }
            if (remaining < regex.MatchTimeout)
            {
                run = _shorter.GetOrAdd(Bucket(remaining), static (ms, r) => new Regex(r.ToString(), r.Options, TimeSpan.FromMilliseconds(ms)), regex);
            }
        }
        try
        {
            return run.IsMatch(input) ? MatchOutcome.Match : MatchOutcome.NoMatch;
        }
        catch (RegexMatchTimeoutException)
        {
            return ReferenceEquals(run, regex) ? MatchOutcome.TimedOut : MatchOutcome.OutOfBudget;
        }
    }

    public override string ToString() => regex.ToString();

    /// <summary>
    /// The time left rounded down to one of 8 steps per power of two (at most 1/8 of it unused), so a pattern gets a
    /// bounded number of copies (8 per doubling of the per-match timeout) however the remaining times vary.
    /// </summary>
    internal static int Bucket(TimeSpan remaining)
    {
        var ms = (int)Math.Min(remaining.TotalMilliseconds, int.MaxValue / 2);
        var step = Math.Max(1, (1 << (int)Math.Log2(ms)) / 8);
        return ms / step * step;
    }
}
