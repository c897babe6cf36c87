namespace GitLabMrBot.Policies.CodeOwners;

/// <summary>
/// Answers "which rule does each section give this path" without testing every rule.
/// <para>
/// GitLab tests every pattern of every section against every path. Most patterns, though, contain a literal that any
/// matching path must contain: with <c>FNM_PATHNAME</c> each pattern segment matches exactly one path segment
/// (a <c>**/</c> matches whole directories), so a literal last segment must equal the path's file name, a literal
/// earlier segment must equal one of the path's directories, and a last segment ending in a literal like
/// <c>*.md</c> must share the file name's extension. Each rule is filed under the rarest such key; a path only
/// tests the rules filed under its own file name, extension and directories, plus the few rules with no literal.
/// The answer is then exactly GitLab's: the surviving candidates are checked with the real fnmatch.
/// </para>
/// </summary>
internal sealed class CodeOwnersMatcher
{
    private static readonly OwnerMatch[] NoMatches = [];

    private readonly CompiledEntry[] entries;
    private readonly int sectionCount;
    private readonly Dictionary<string, int[]> byFileName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> byExtension = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> byDirectory = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> fileNameLookup;
    private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> extensionLookup;
    private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> directoryLookup;
    private readonly int[] unindexed;

    public CodeOwnersMatcher(IReadOnlyList<CodeOwnersSection> sections)
    {
        sectionCount = sections.Count;
        var compiled = new List<CompiledEntry>();
        for (var s = 0; s < sections.Count; s++)
        {
            var section = sections[s];
            for (var position = 0; position < section.Entries.Count; position++)
            {
                var entry = section.Entries[position];
                var approvals = section.Optional ? 0 : Math.Max(1, entry.Approvals);
                compiled.Add(new CompiledEntry(
                    s,
                    position,
                    entry.NormalizedPattern,
                    entry.IsExclusion,
                    new OwnerMatch(section.Name, entry.Pattern, entry.Line, entry.Owners, section.Optional, approvals),
                    PatternKeys.From(entry.NormalizedPattern)));
            }
        }

        entries = [.. compiled];
        unindexed = BuildIndex();
        fileNameLookup = byFileName.GetAlternateLookup<ReadOnlySpan<char>>();
        extensionLookup = byExtension.GetAlternateLookup<ReadOnlySpan<char>>();
        directoryLookup = byDirectory.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public IReadOnlyList<OwnerMatch> Match(string path) => Match(path, new Scratch(sectionCount));

    public IReadOnlyList<PathOwners> MatchAll(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var scratch = new Scratch(sectionCount);
        var result = new List<PathOwners>(paths.TryGetNonEnumeratedCount(out var count) ? count : 16);
        foreach (var path in paths)
        {
            result.Add(new PathOwners(path, Match(path, scratch)));
        }

        return result;
    }

    private OwnerMatch[] Match(string path, Scratch scratch)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (entries.Length == 0)
        {
            return NoMatches;
        }

        var rooted = path.StartsWith('/') ? path : "/" + path;
        scratch.Reset();

        var span = rooted.AsSpan();
        var lastSlash = span.LastIndexOf('/');
        var fileName = span[(lastSlash + 1)..];

        if (fileNameLookup.TryGetValue(fileName, out var candidates))
        {
            Test(candidates, rooted, scratch, fileNameBucket: true);
        }

        var dot = fileName.LastIndexOf('.');
        if (dot >= 0 && extensionLookup.TryGetValue(fileName[dot..], out candidates))
        {
            Test(candidates, rooted, scratch, fileNameBucket: false);
        }

        // Each directory of the path once (a path may repeat a directory name).
        var directories = span[..Math.Max(lastSlash, 0)];
        var start = 0;
        while (start < directories.Length)
        {
            var end = directories[start..].IndexOf('/');
            var segment = end < 0 ? directories[start..] : directories.Slice(start, end);
            if (segment.Length > 0 && !SeenBefore(directories[..start], segment) && directoryLookup.TryGetValue(segment, out candidates))
            {
                Test(candidates, rooted, scratch, fileNameBucket: false);
            }

            start = end < 0 ? directories.Length : start + end + 1;
        }

        Test(unindexed, rooted, scratch, fileNameBucket: false);
        return scratch.Collect(entries);
    }

    /// <summary>
    /// GitLab's own algorithm, unindexed: every rule of every section is tested (file.rb entries_for_path).
    /// The reference the index is checked against, and the benchmark's baseline.
    /// </summary>
    public IReadOnlyList<OwnerMatch> MatchByFullScan(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var rooted = path.StartsWith('/') ? path : "/" + path;
        var result = new List<OwnerMatch>();
        var start = 0;
        for (var section = 0; section < sectionCount; section++)
        {
            var end = start;
            while (end < entries.Length && entries[end].Section == section)
            {
                end++;
            }

            CompiledEntry? winner = null;
            var excluded = false;
            for (var i = end - 1; i >= start && !excluded; i--)
            {
                if (RubyFnMatch.IsMatch(entries[i].Pattern, rooted))
                {
                    excluded = entries[i].IsExclusion;
                    winner ??= entries[i];
                }
            }

            if (winner is not null && !excluded)
            {
                result.Add(winner.Result);
            }

            start = end;
        }

        return result;
    }

    private static bool SeenBefore(ReadOnlySpan<char> earlier, ReadOnlySpan<char> segment)
    {
        foreach (var range in earlier.Split('/'))
        {
            if (earlier[range].SequenceEqual(segment))
            {
                return true;
            }
        }

        return false;
    }

    private void Test(int[] candidates, string path, Scratch scratch, bool fileNameBucket)
    {
        foreach (var index in candidates)
        {
            var entry = entries[index];
            var section = entry.Section;
            if (scratch.Excluded[section])
            {
                continue;
            }

            if (entry.IsExclusion)
            {
                // Any matching exclusion silences the whole section, wherever it stands (file.rb entries_for_path).
                if (IsMatch(entry, path, fileNameBucket))
                {
                    scratch.Excluded[section] = true;
                    scratch.Touch(section);
                }
            }
            else if (entry.Position > scratch.Best[section] && IsMatch(entry, path, fileNameBucket))
            {
                scratch.Best[section] = entry.Position;
                scratch.BestEntry[section] = index;
                scratch.Touch(section);
            }
        }
    }

    // '/**/README.md' filed under 'README.md' matches every path of that bucket: no need to run fnmatch.
    private static bool IsMatch(CompiledEntry entry, string path, bool fileNameBucket) =>
        (fileNameBucket && entry.Keys.AnyDepthLiteralFileName) || RubyFnMatch.IsMatch(entry.Pattern, path);

    /// <summary>Files each rule under its rarest key; returns the rules that have none.</summary>
    private int[] BuildIndex()
    {
        var frequency = new Dictionary<(KeyKind, string), int>();
        foreach (var entry in entries)
        {
            foreach (var key in entry.Keys.All)
            {
                frequency[key] = frequency.GetValueOrDefault(key) + 1;
            }
        }

        var buckets = new Dictionary<(KeyKind, string), List<int>>();
        var rest = new List<int>();
        for (var i = 0; i < entries.Length; i++)
        {
            var keys = entries[i].Keys.All;
            if (keys.Count == 0)
            {
                rest.Add(i);
                continue;
            }

            var best = keys[0];
            foreach (var key in keys)
            {
                if (frequency[key] < frequency[best])
                {
                    best = key;
                }
            }

            if (!buckets.TryGetValue(best, out var list))
            {
                buckets[best] = list = [];
            }

            list.Add(i);
        }

        foreach (var ((kind, key), list) in buckets)
        {
            var target = kind switch
            {
                KeyKind.FileName => byFileName,
                KeyKind.Extension => byExtension,
                _ => byDirectory,
            };
            target[key] = [.. list];
        }

        return [.. rest];
    }

    private sealed record CompiledEntry(int Section, int Position, string Pattern, bool IsExclusion, OwnerMatch Result, PatternKeys Keys);

    internal enum KeyKind
    {
        FileName,
        Extension,
        Directory,
    }

    /// <summary>The literals a path must contain to match a normalized pattern.</summary>
    internal sealed record PatternKeys(IReadOnlyList<(KeyKind Kind, string Key)> All, bool AnyDepthLiteralFileName)
    {
        private static readonly PatternKeys None = new([], false);

        public static PatternKeys From(string pattern)
        {
            // Escapes and brackets can make a '/' part of a bracket or hide a wildcard; such rare patterns are
            // simply always tested.
            if (pattern.AsSpan().IndexOfAny('\\', '[', ']') >= 0)
            {
                return None;
            }

            var segments = pattern.Split('/');
            var keys = new List<(KeyKind, string)>();
            var last = segments[^1];
            var anyDepthLiteral = false;
            if (last.Length > 0 && !HasWildcard(last))
            {
                keys.Add((KeyKind.FileName, last));
                anyDepthLiteral = segments.Length == 3 && segments[0].Length == 0 && segments[1] == "**";
            }
            else
            {
                var suffix = last[(last.AsSpan().LastIndexOfAny('*', '?') + 1)..];
                var dot = suffix.LastIndexOf('.');
                if (dot >= 0)
                {
                    keys.Add((KeyKind.Extension, suffix[dot..]));
                }
            }

            for (var i = 0; i < segments.Length - 1; i++)
            {
                if (segments[i].Length > 0 && !HasWildcard(segments[i]))
                {
                    keys.Add((KeyKind.Directory, segments[i]));
                }
            }

            return new PatternKeys(keys, anyDepthLiteral);
        }

        private static bool HasWildcard(string segment) => segment.AsSpan().IndexOfAny('*', '?') >= 0;
    }

    /// <summary>Per-call state, reused across the paths of one <see cref="MatchAll"/>.</summary>
    private sealed class Scratch(int sectionCount)
    {
        public readonly int[] Best = Enumerable.Repeat(-1, sectionCount).ToArray();
        public readonly int[] BestEntry = new int[sectionCount];
        public readonly bool[] Excluded = new bool[sectionCount];
        private readonly bool[] touched = new bool[sectionCount];
        private readonly List<int> touchedSections = [];

        public void Reset()
        {
            foreach (var s in touchedSections)
            {
                Best[s] = -1;
                Excluded[s] = false;
                touched[s] = false;
            }

            touchedSections.Clear();
        }

        public void Touch(int section)
        {
            if (!touched[section])
            {
                touched[section] = true;
                touchedSections.Add(section);
            }
        }

        public OwnerMatch[] Collect(CompiledEntry[] entries)
        {
            var count = 0;
            foreach (var s in touchedSections)
            {
                if (!Excluded[s] && Best[s] >= 0)
                {
                    count++;
                }
            }

            if (count == 0)
            {
                return NoMatches;
            }

            touchedSections.Sort();
            var result = new OwnerMatch[count];
            var i = 0;
            foreach (var s in touchedSections)
            {
                if (!Excluded[s] && Best[s] >= 0)
                {
                    result[i++] = entries[BestEntry[s]].Result;
                }
            }

            return result;
        }
    }
}
