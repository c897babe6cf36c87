using System.Diagnostics.CodeAnalysis;
using System.Text.Encodings.Web;
using Fluid;
using Fluid.Values;
using Microsoft.Extensions.FileProviders;

namespace GitLabMrBot.Policies;

/// <summary>
/// Policy comments are Liquid templates (Fluid). Templates see only the values given here: no file
/// system (<c>include</c>/<c>render</c> find nothing), no network, no clock (<c>now</c> is fixed), and a
/// step limit so a template cannot loop forever inside the worker. Every value a template writes (<c>{{ ... }}</c>,
/// after its filters) is made inert (<see cref="InertText.Code"/>): a title or branch name from GitLab shows as text
/// and never mentions, links, runs a quick action or hides the rest of the note. Conditions and filters still see
/// the values as they are; only the template's own words are written as Markdown.
/// </summary>
internal static class CommentTemplates
{
    private static readonly FluidParser Parser = new();

    private static readonly TemplateOptions Options = CreateOptions();

    public static bool TryParse(string source, [NotNullWhen(true)] out IFluidTemplate? template, [NotNullWhen(false)] out string? error)
    {
        if (Parser.TryParse(source, out template, out error))
        {
            template = new InertOutputs().VisitTemplate(template);
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
        return template.Render(context, InertEncoder.Instance).Trim();
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
        // `raw` would write a value past the encoder: here it writes it like any other value.
        options.Filters.AddFilter("raw", static (input, _, _) => new StringValue(input.ToStringValue()));
        options.Filters.AddFilter(InertOutputs.Filter, static (input, _, _) => new StringValue(input.ToStringValue()));
        return options;
    }
}

/// <summary>
/// Fluid hands every value a template outputs to its encoder (and writes the template's own text as is): this one
/// writes the value as an inert code span instead of HTML-encoding it. Only the string entry points are used; the
/// per-character ones say "nothing to encode", so no caller can get a value past <see cref="InertText.Code"/> through them.
/// </summary>
internal sealed class InertEncoder : TextEncoder
{
    public static readonly InertEncoder Instance = new();

    public override int MaxOutputCharactersPerInputCharacter => 1;

    public override string Encode(string value) => InertText.Code(value);

    public override void Encode(TextWriter output, string value, int startIndex, int characterCount) =>
        output.Write(InertText.Code(value.Substring(startIndex, characterCount)));

    public override void Encode(TextWriter output, char[] value, int startIndex, int characterCount) =>
        output.Write(InertText.Code(new string(value, startIndex, characterCount)));

    // Asked "where is the first character to encode": the first one, so a caller that checks falls back to Encode(string).
    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength) => textLength == 0 ? -1 : 0;

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        numberOfCharactersWritten = 0;
        return false;
    }

    public override bool WillEncode(int unicodeScalar) => true;
}

/// <summary>
/// Fluid encodes a string it outputs, but writes an array or object (<c>{{ mr.labels }}</c>) past the encoder: every
/// output gets a last filter that turns its value into a string, which the encoder then makes inert.
/// </summary>
internal sealed class InertOutputs : Fluid.Ast.AstRewriter
{
    public const string Filter = "mrbot_inert_output";

    protected override Fluid.Ast.Statement VisitOutputStatement(Fluid.Ast.OutputStatement outputStatement) =>
        new Fluid.Ast.OutputStatement(new Fluid.Ast.FilterExpression(outputStatement.Expression, Filter, []));
}
