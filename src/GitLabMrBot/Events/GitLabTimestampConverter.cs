using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GitLabMrBot.Events;

/// <summary>
/// Reads GitLab's three timestamp spellings (docs/gitlab-behaviour.md §2): <c>2013-12-03T17:23:34Z</c>,
/// <c>2015-05-17 18:21:36 UTC</c> and <c>2012-01-03T23:36:29+02:00</c> (fractions allowed).
/// Strict: a malformed value in a field the bot models fails the payload, so only model timestamps the bot reads.
/// </summary>
public sealed class GitLabTimestampConverter : JsonConverter<DateTimeOffset>
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mm:ss.FFFFFFF 'UTC'",
        "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mm:ss.FFFFFFF zzz",
    ];

    public static bool TryParse(ReadOnlySpan<char> text, out DateTimeOffset value) =>
        DateTimeOffset.TryParseExact(text.Trim(), Formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"Expected a timestamp string, found {reader.TokenType}.");
        }

        // Timestamps are short; copy into the stack instead of allocating a string per value.
        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        char[]? rented = null;
        var buffer = length <= 128 ? stackalloc char[128] : (rented = ArrayPool<char>.Shared.Rent(length));
        try
        {
            var written = reader.CopyString(buffer);
            return TryParse(buffer[..written], out var value)
                ? value
                : throw new JsonException($"'{buffer[..written].ToString()}' is not a GitLab timestamp.");
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture));
}
