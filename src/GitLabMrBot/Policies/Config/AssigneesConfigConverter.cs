using System.Text.Json;
using System.Text.Json.Serialization;

namespace GitLabMrBot.Policies.Config;

/// <summary>Reads <c>"author"</c> or <c>{"users": [...]}</c>; the loader's shape check reports anything else first.</summary>
public sealed class AssigneesConfigConverter : JsonConverter<AssigneesConfig>
{
    public override AssigneesConfig Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString() == AssigneesConfig.AuthorKeyword
                ? new AssigneesConfig { Author = true }
                : throw new JsonException($"assignees must be \"{AssigneesConfig.AuthorKeyword}\" or an object with \"users\".");
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("assignees must be \"author\" or an object with \"users\".");
        }
        var users = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            if (name != "users" || reader.TokenType != JsonTokenType.StartArray)
            {
                throw new JsonException("assignees accepts only \"users\": [usernames].");
            }
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                // A null stands where the shape check already reported a bad item, so the others keep their indexes.
                users.Add(reader.GetString()!);
            }
        }
        return new AssigneesConfig { Users = users };
    }

    public override void Write(Utf8JsonWriter writer, AssigneesConfig value, JsonSerializerOptions options)
    {
        if (value.Author)
        {
            writer.WriteStringValue(AssigneesConfig.AuthorKeyword);
            return;
        }
        writer.WriteStartObject();
        writer.WriteStartArray("users");
        foreach (var user in value.Users)
        {
            writer.WriteStringValue(user);
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
