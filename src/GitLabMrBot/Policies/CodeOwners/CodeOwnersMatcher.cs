namespace GitLabMrBot.Policies.CodeOwners;

/// <summary>
/// Answers "which rule does each section give this path" without testing every rule.
/// <para>
/// GitLab tests every pattern of every section against every path. Most patterns, though, contain a literal that any
/// matching path must contain: with <c>FNM_PATHNAME</c> each pattern segment matches exactly one path segment
/// (a <c>**/</c> matches whole directories), so a literal last segment must equal the path's file name, a literal
/// segment before it must equal the path's parent directory, any other literal segment must equal one of the path's
/// directories, leading literal segments of a rooted pattern must lead the path, and a last segment ending in a
/// literal like <c>*.md</c> must share the file name's extension. Each rule is filed under its rarest such key; a
/// path only tests the rules filed under its own keys, plus the few rules with no literal. The answer is then
/// exactly GitLab's: the surviving candidates are checked with the real fnmatch semantics, except where the key
/// alone decides (<c>/**/README.md</c> in the <c>README.md</c> bucket).
/// </para>
/// </summary>
internal sealed class CodeOwnersMatcher
{
    private static readonly OwnerMatch[] NoMatches = [];

    private readonly CompiledEntry[] entries;
    private readonly int sectionCount;
    private readonly Dictionary<string, Candidate[]> byFileName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Candidate[]> byExtension = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Candidate[]> byDirectory = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Candidate[]> byRootPrefix = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Candidate[]> byParent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Candidate[]>.AlternateLookup<ReadOnlySpan<char>> fileNameLookup;
    private readonly Dictionary<string, Candidate[]>.AlternateLookup<ReadOnlySpan<char>> extensionLookup;
    private readonly Dictionary<string, Candidate[]>.AlternateLookup<ReadOnlySpan<char>> directoryLookup;
    private readonly Dictionary<string, Candidate[]>.AlternateLookup<ReadOnlySpan<char>> rootPrefixLookup;
    private readonly Dictionary<string, Candidate[]>.AlternateLookup<ReadOnlySpan<char>> parentLookup;
    private readonly Candidate[] unindexed;

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
                    new CompiledPattern(entry.NormalizedPattern),
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
        rootPrefixLookup = byRootPrefix.GetAlternateLookup<ReadOnlySpan<char>>();
        parentLookup = byParent.GetAlternateLookup<ReadOnlySpan<char>>();
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
            Test(candidates, rooted, scratch);
        }

        var dot = fileName.LastIndexOf('.');
        if (dot >= 0 && extensionLookup.TryGetValue(fileName[dot..], out candidates))
        {
            Test(candidates, rooted, scratch);
        }

        var directories = span[..Math.Max(lastSlash, 0)];
        var parent = directories[(directories.LastIndexOf('/') + 1)..];
        if (parent.Length > 0 && parentLookup.TryGetValue(parent, out candidates))
        {
            Test(candidates, rooted, scratch);
        }

        // Each directory of the path once (a path may repeat a directory name).
        var start = 0;
        while (start < directories.Length)
        {
            var end = directories[start..].IndexOf('/');
            var segment = end < 0 ? directories[start..] : directories.Slice(start, end);
            if (segment.Length > 0 && !SeenBefore(directories[..start], segment) && directoryLookup.TryGetValue(segment, out candidates))
            {
                Test(candidates, rooted, scratch);
            }

            // Every leading run of directories ("app", "app/models", ...) for rules anchored at the root.
            var prefixEnd = end < 0 ? directories.Length : start + end;
            if (prefixEnd > 1 && rootPrefixLookup.TryGetValue(directories[1..prefixEnd], out candidates))
            {
                Test(candidates, rooted, scratch);
            }

            start = end < 0 ? directories.Length : start + end + 1;
        }

        Test(unindexed, rooted, scratch);
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
                if (RubyFnMatch.IsMatch(entries[i].Normalized, rooted))
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

    private void Test(Candidate[] candidates, string path, Scratch scratch)
    {
        // Backwards: the later rules of a section come first, so once one matches the earlier ones are skipped
        // without running fnmatch.
        for (var c = candidates.Length - 1; c >= 0; c--)
        {
            ref readonly var candidate = ref candidates[c];
            var section = candidate.Section;
            if (scratch.Excluded[section])
            {
                continue;
            }

            if (candidate.IsExclusion)
            {
                // Any matching exclusion silences the whole section, wherever it stands (file.rb entries_for_path).
                if (candidate.ImpliesMatch || entries[candidate.Entry].Pattern.IsMatch(path))
                {
                    scratch.Excluded[section] = true;
                    scratch.Touch(section);
                }
            }
            else if (candidate.Position > scratch.Best[section] && (candidate.ImpliesMatch || entries[candidate.Entry].Pattern.IsMatch(path)))
            {
                scratch.Best[section] = candidate.Position;
                scratch.BestEntry[section] = candidate.Entry;
                scratch.Touch(section);
            }
        }
    }

    /// <summary>Files each rule under its rarest key; returns the rules that have none.</summary>
    private Candidate[] BuildIndex()
    {
        var frequency = new Dictionary<(KeyKind, string), int>();
        foreach (var entry in entries)
        {
            foreach (var key in entry.Keys.All)
            {
                frequency[(key.Kind, key.Key)] = frequency.GetValueOrDefault((key.Kind, key.Key)) + 1;
            }
        }

        var buckets = new Dictionary<(KeyKind, string), List<Candidate>>();
        var rest = new List<Candidate>();
        for (var i = 0; i < entries.Length; i++)
        {
            var keys = entries[i].Keys.All;
            if (keys.Count == 0)
            {
                rest.Add(ToCandidate(i, impliesMatch: false));
                continue;
            }

            // The rarest key gives the smallest bucket; between equals, one that needs no fnmatch.
            var best = keys[0];
            foreach (var key in keys)
            {
                var (count, bestCount) = (frequency[(key.Kind, key.Key)], frequency[(best.Kind, best.Key)]);
                if (count < bestCount || (count == bestCount && Preferred(key, best)))
                {
                    best = key;
                }
            }

            if (!buckets.TryGetValue((best.Kind, best.Key), out var list))
            {
                buckets[(best.Kind, best.Key)] = list = [];
            }

            list.Add(ToCandidate(i, best.ImpliesMatch));
        }

        foreach (var ((kind, key), list) in buckets)
        {
            var target = kind switch
            {
                KeyKind.FileName => byFileName,
                KeyKind.Extension => byExtension,
                KeyKind.RootPrefix => byRootPrefix,
                KeyKind.Parent => byParent,
                _ => byDirectory,
            };
            target[key] = Condense(list);
        }

        return [.. rest];
    }

    private Candidate ToCandidate(int entry, bool impliesMatch) =>
        new(entries[entry].Section, entries[entry].Position, entry, entries[entry].IsExclusion, impliesMatch);

    /// <summary>
    /// Drops the rules of a bucket that can never decide a path in it. Every path in the bucket matches its
    /// "implied" rules, so in each section only the latest implied rule can win, no earlier rule can, and an implied
    /// exclusion silences the section for the whole bucket.
    /// </summary>
    private static Candidate[] Condense(List<Candidate> bucket)
    {
        var latestImplied = new Dictionary<int, int>();
        var silenced = new HashSet<int>();
        foreach (var c in bucket.Where(c => c.ImpliesMatch))
        {
            if (c.IsExclusion)
            {
                silenced.Add(c.Section);
            }
            else
            {
                latestImplied[c.Section] = Math.Max(latestImplied.GetValueOrDefault(c.Section, -1), c.Position);
            }
        }

        var kept = new List<Candidate>(bucket.Count);
        var silencerKept = new HashSet<int>();
        foreach (var c in bucket)
        {
            var keep = silenced.Contains(c.Section)
                ? c.IsExclusion && c.ImpliesMatch && silencerKept.Add(c.Section)
                : c.IsExclusion || c.Position >= latestImplied.GetValueOrDefault(c.Section, -1);
            if (keep)
            {
                kept.Add(c);
            }
        }

        return [.. kept];
    }

    // Between keys as rare as each other: one that needs no fnmatch, else the parent directory (one lookup per path
    // instead of one per directory).
    private static bool Preferred(PatternKey key, PatternKey best) =>
        (key.ImpliesMatch && !best.ImpliesMatch) || (key.ImpliesMatch == best.ImpliesMatch && key.Kind == KeyKind.Parent && best.Kind == KeyKind.Directory);

    private sealed record CompiledEntry(int Section, int Position, string Normalized, CompiledPattern Pattern, bool IsExclusion, OwnerMatch Result, PatternKeys Keys);

    /// <summary>A rule as a bucket holds it: what the hot loop reads, side by side in memory.</summary>
    private readonly record struct Candidate(int Section, int Position, int Entry, bool IsExclusion, bool ImpliesMatch);

    internal enum KeyKind
    {
        FileName,
        Extension,
        Directory,
        RootPrefix,
        Parent,
    }

    /// <summary>
    /// The literals a path must contain to match a normalized pattern, each with whether containing it is enough
    /// (the pattern is exactly '/**/name', '/**/*.ext', '/**/dir/**/*' or '/root/dirs/**/*').
    /// </summary>
    internal sealed record PatternKeys(IReadOnlyList<PatternKey> All)
    {
        private static readonly PatternKeys None = new([]);

        public static PatternKeys From(string pattern)
        {
            // Escapes and brackets can make a '/' part of a bracket or hide a wildcard; such rare patterns are
            // simply always tested.
            if (pattern.AsSpan().IndexOfAny('\\', '[', ']') >= 0)
            {
                return None;
            }

            var segments = pattern.Split('/');
            var keys = new List<PatternKey>();
            var last = segments[^1];
            if (last.Length > 0 && !HasWildcard(last))
            {
                keys.Add(new PatternKey(KeyKind.FileName, last, pattern == "/**/" + last));
            }
            else
            {
                var suffix = last[(last.AsSpan().LastIndexOfAny('*', '?') + 1)..];
                var dot = suffix.LastIndexOf('.');
                if (dot >= 0)
                {
                    var extension = suffix[dot..];
                    keys.Add(new PatternKey(KeyKind.Extension, extension, pattern == "/**/*" + extension));
                }
            }

            for (var i = 0; i < segments.Length - 1; i++)
            {
                if (segments[i].Length > 0 && !HasWildcard(segments[i]))
                {
                    keys.Add(new PatternKey(KeyKind.Directory, segments[i], pattern == "/**/" + segments[i] + "/**/*"));
                }
            }

            // The last two pattern segments match the last two path segments: a literal one before the file name
            // must be the path's parent directory.
            if (segments.Length >= 3 && segments[^2].Length > 0 && !HasWildcard(segments[^2]))
            {
                keys.Add(new PatternKey(KeyKind.Parent, segments[^2], ImpliesMatch: false));
            }

            // A pattern anchored at the root: its leading literal directories must lead the path.
            var literalPrefix = 1;
            while (literalPrefix < segments.Length - 1 && segments[literalPrefix].Length > 0 && !HasWildcard(segments[literalPrefix]))
            {
                literalPrefix++;
            }

            if (literalPrefix > 1)
            {
                var prefix = string.Join('/', segments[1..literalPrefix]);
                keys.Add(new PatternKey(KeyKind.RootPrefix, prefix, pattern == "/" + prefix + "/**/*"));
            }

            return new PatternKeys(keys);
        }

        private static bool HasWildcard(string segment) => segment.AsSpan().IndexOfAny('*', '?') >= 0;
    }

    internal readonly record struct PatternKey(KeyKind Kind, string Key, bool ImpliesMatch);

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
