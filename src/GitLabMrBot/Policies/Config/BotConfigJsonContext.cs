using System.Text.Json;
using System.Text.Json.Serialization;

namespace GitLabMrBot.Policies.Config;

/// <summary>
/// Source-generated serialization of <see cref="BotConfig"/>: camelCase, comments and trailing commas
/// allowed, unknown properties rejected (a typo in a policy must not silently do nothing).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(BotConfig))]
public sealed partial class BotConfigJsonContext : JsonSerializerContext;
