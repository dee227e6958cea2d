using LVPrune.Data;

namespace LVPrune.Evaluation;

/// <summary>One question about one image with its reference answers.</summary>
public sealed record EvalItem(string Id, string ImagePath, string Question, IReadOnlyList<string> Answers, string Family, bool IsYesNo, string? PopeSplit)
{
    /// <summary>
    /// Every (human, gpt) pair of a conversation file becomes a single-turn item on its image. Extra
    /// reference answers (VQA's ten) come from an "answers" array when present. Family: the entry's
    /// "family", else "all". Yes/no items (the gpt answer normalises to yes or no, and it is the only
    /// reference) also feed POPE's metrics; a yes/no question with VQA's ten answers is a VQA item, scored by
    /// VQA accuracy as VQAv2 scores its yes/no answer type.
    /// </summary>
    public static IReadOnlyList<EvalItem> Load(string jsonPath, int? limit = null)
    {
        if (limit < 1) throw new LVPruneException($"--limit must be at least 1, got {limit}");
        var items = new List<EvalItem>();
        foreach (var s in ConversationDataset.Enumerate(jsonPath, requireImages: true))
        {
            if (s.Image is null) continue;
            string image = ConversationDataset.ResolveImagePath(jsonPath, s);
            var perTurn = s.Extra is { } extra && extra.TryGetProperty("questions", out var q) && q.ValueKind == System.Text.Json.JsonValueKind.Array
                ? q.EnumerateArray().ToList() : null;
            for (int i = 0, turn = 0; i + 1 < s.Turns.Count; i += 2, turn++)
            {
                string question = s.Turns[i].Value.Replace("<image>", "").Trim();
                string answer = s.Turns[i + 1].Value.Trim();
                var answers = new List<string> { answer };
                if (s.Extra is { } ex && ex.TryGetProperty("answers", out var a) && a.ValueKind == System.Text.Json.JsonValueKind.Array)
                    answers = a.EnumerateArray().Select(x => x.ToString()).ToList();
                string family = s.Family ?? "all";
                string? pope = s.PopeSplit;
                if (perTurn is not null && turn < perTurn.Count)
                {
                    if (perTurn[turn].TryGetProperty("family", out var f) && f.ValueKind == System.Text.Json.JsonValueKind.String) family = f.GetString()!;
                    if (perTurn[turn].TryGetProperty("pope_split", out var p)) pope = p.ValueKind == System.Text.Json.JsonValueKind.String ? p.GetString() : null;
                }
                string norm = VqaNormalizer.Normalize(answer);
                bool yesNo = norm is "yes" or "no" && answers.Count == 1;
                items.Add(new EvalItem(s.Turns.Count > 2 ? $"{s.Id}_{turn}" : s.Id, image, question, answers, family, yesNo, pope));
                if (limit is { } l && items.Count >= l) return items;
            }
        }
        if (items.Count == 0) throw new LVPruneException($"{jsonPath}: no questions with images to evaluate");
        return items;
    }
}
