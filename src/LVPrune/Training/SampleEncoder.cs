using LVPrune.Text;
using LVPrune.Data;

namespace LVPrune.Training;

/// <summary>A conversation as token ids with labels on the assistant's answers only (-100 elsewhere).</summary>
public sealed record EncodedSample(string Id, long[] Ids, long[] Labels, string? ImagePath, string? Family);

/// <summary>
/// Turns LLaVA conversation samples into training sequences, as LLaVA's preprocess does: the
/// image token is moved to the front of the first human turn ("&lt;image&gt;\n" + text), turns are laid out
/// with the prompt template, and only the assistant's answers (and the EOS closing each) are
/// supervised. The prompt of turn 1 is tokenised exactly as inference tokenises it, so training
/// sees the same ids it will see at run time. Sequences are truncated to a maximum length.
/// </summary>
public sealed class SampleEncoder
{
    private readonly LlavaTokenizer _tok;
    private readonly PromptTemplate _template;
    private readonly int _maxLength;
    private readonly ImagePosition _position;

    public SampleEncoder(LlavaTokenizer tokenizer, PromptTemplate template, int maxLength = 2048, ImagePosition position = ImagePosition.BeforeQuestion)
    {
        _tok = tokenizer;
        _template = template;
        _maxLength = maxLength;
        _position = position;
    }

    public EncodedSample Encode(ConversationSample sample, string? imagePath, string source)
    {
        var turns = sample.Turns;
        if (turns.Count < 2) throw new LVPruneException($"{source}: sample '{sample.Id}' needs at least one human and one gpt turn");
        var pairs = new List<(string User, string Assistant)>();
        for (int i = 0; i + 1 < turns.Count; i += 2)
        {
            if (turns[i].From != "human" || turns[i + 1].From != "gpt")
                throw new LVPruneException($"{source}: sample '{sample.Id}' turn {i}: expected human then gpt, got {turns[i].From} then {turns[i + 1].From}");
            string user = turns[i].Value;
            if (i == 0 && imagePath is not null)
                user = PromptConfig.PlaceImage(user, _position);
            else user = user.Replace(Prompts.ImageToken, "").Trim();
            pairs.Add((user, turns[i + 1].Value.Trim()));
        }
        // Whole conversation, then each answer located by the token length of its prefix.
        string full = Conversation(pairs, pairs.Count);
        var ids = _tok.Encode(full).Select(t => (long)t).ToArray();
        var labels = Enumerable.Repeat(Models.LlavaBatch.IgnoreIndex, ids.Length).ToArray();
        for (int i = 0; i < pairs.Count; i++)
        {
            string prefix = Prompts.Format(_template, pairs[i].User, pairs.Take(i).ToList());
            int start = _tok.Encode(prefix).Length;
            int end = Math.Min(ids.Length, _tok.Encode(prefix + " " + pairs[i].Assistant + EosText).Length);
            for (int t = start; t < end; t++) labels[t] = ids[t];
        }
        if (ids.Length > _maxLength)
        {
            ids = ids[.._maxLength];
            labels = labels[.._maxLength];
        }
        return new EncodedSample(sample.Id, ids, labels, imagePath, sample.Family);
    }

    private string EosText => _tok.IdToToken(_tok.EosId);

    /// <summary>Every turn with its answer: "prompt(turns) answer&lt;/s&gt;".</summary>
    private string Conversation(IReadOnlyList<(string User, string Assistant)> pairs, int count)
    {
        var last = pairs[count - 1];
        return Prompts.Format(_template, last.User, pairs.Take(count - 1).ToList()) + " " + last.Assistant + EosText;
    }

    /// <summary>The inference prompt for a question (the same ids the first turn gets in training).</summary>
    public long[] EncodePrompt(string question, bool withImage = true)
    {
        string user = withImage ? PromptConfig.PlaceImage(question, _position) : question;
        return _tok.Encode(Prompts.Format(_template, user)).Select(t => (long)t).ToArray();
    }
}
