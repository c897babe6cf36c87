using System.Text.RegularExpressions;

namespace GitLabMrBot.Policies.Reviewers;

/// <summary>
/// GitLab's own reviewer-roulette availability rules (docs/gitlab-behaviour.md §5): busy availability, an "away" status
/// message, or an on-leave or sick status emoji. The emoji counts only as the status emoji, not in the text.
/// </summary>
public static partial class Availability
{
    private static readonly HashSet<string> AwayEmoji = new(StringComparer.OrdinalIgnoreCase)
    {
        "palm_tree", "beach", "beach_umbrella", "beach_with_umbrella", "sun_with_face", "ferris_wheel", "cityscape",
        "thermometer", "face_with_thermometer",
    };

    [GeneratedRegex(@"\b(OOO|PTO|Parental Leave|Friends and Family|Conference)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex AwayMessage();

    /// <summary>Why the user should not be asked now, or null when they are available.</summary>
    public static string? AwayBecause(UserStatus? status)
    {
        if (status is null)
        {
            return null;
        }
        if (string.Equals(status.Availability, "busy", StringComparison.OrdinalIgnoreCase))
        {
            return "status is busy";
        }
        if (!string.IsNullOrEmpty(status.Emoji) && AwayEmoji.Contains(status.Emoji.Trim(':')))
        {
            return $"status emoji :{status.Emoji.Trim(':')}:";
        }
        if (!string.IsNullOrWhiteSpace(status.Message))
        {
            try
            {
                var match = AwayMessage().Match(status.Message);
                if (match.Success)
                {
                    return $"status says {match.Value}";
                }
            }
            catch (RegexMatchTimeoutException)
            {
                // A pathological message is not a reason to skip someone.
            }
        }
        return null;
    }
}
