using System.Diagnostics.CodeAnalysis;
using Fluid;
using Fluid.Values;
using Microsoft.Extensions.FileProviders;

namespace GitLabMrBot.Policies;

/// <summary>
/// Policy comments are Liquid templates (Fluid). Templates see only the values given here: no file
/// system (<c>include</c>/<c>render</c> find nothing), no network, no clock (<c>now</c> is fixed), and a
/// step limit so a template cannot loop forever inside the worker.
/// </summary>
internal static class CommentTemplates
{
    private static readonly FluidParser Parser = new();

    private static readonly TemplateOptions Options = CreateOptions();

    public static bool TryParse(string source, [NotNullWhen(true)] out IFluidTemplate? template, [NotNullWhen(false)] out string? error)
    {
        if (Parser.TryParse(source, out template, out error))
        {
            return true;
        }
        // Fluid appends the whole source after the position; the first line says what and where.
        error = error?.Trim().Split('\n')[0].Trim() ?? "invalid template";
        return false;
    }

    public static string Render(IFluidTemplate template, MergeRequestSnapshot mr, IReadOnlyList<string> labels, string policyName)
    {
        var context = new TemplateContext(Options);
        context.SetValue("mr", FluidValue.Create(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["title"] = mr.Title,
            ["iid"] = mr.Iid,
            ["source_branch"] = mr.SourceBranch,
            ["target_branch"] = mr.TargetBranch,
            ["author"] = mr.AuthorUsername,
            ["labels"] = labels.ToArray(),
            ["web_url"] = mr.WebUrl,
            ["draft"] = mr.Draft,
        }, Options));
        context.SetValue("policy", FluidValue.Create(new Dictionary<string, object?>(StringComparer.Ordinal) { ["name"] = policyName }, Options));
        return template.Render(context, NullEncoder.Default).Trim();
    }

    private static TemplateOptions CreateOptions()
    {
        var options = new TemplateOptions
        {
            FileProvider = new NullFileProvider(),
            MaxSteps = 100_000,
            MaxRecursion = 20,
            Now = static () => DateTimeOffset.UnixEpoch,
            TimeZone = TimeZoneInfo.Utc,
            CultureInfo = System.Globalization.CultureInfo.InvariantCulture,
        };
        return options;
    }
}
