using System.Globalization;
using System.Text;

namespace LVPrune.Toy;

/// <summary>What <see cref="ShapesVqaWriter.Write"/> produced.</summary>
/// <param name="DataJsonPath">Full path of the written data.json.</param>
/// <param name="Entries">Entries (conversations) in data.json.</param>
/// <param name="Images">PNG files written under images/.</param>
/// <param name="Questions">Question-answer turns over all entries.</param>
/// <param name="Families">Questions per family.</param>
/// <param name="Answers">Questions per answer word.</param>
/// <param name="PopeSplits">Existence questions per POPE split.</param>
/// <param name="Elapsed">Wall-clock time of the whole write.</param>
public sealed record ShapesVqaSummary(
    string DataJsonPath,
    int Entries,
    int Images,
    int Questions,
    IReadOnlyDictionary<string, int> Families,
    IReadOnlyDictionary<string, int> Answers,
    IReadOnlyDictionary<string, int> PopeSplits,
    TimeSpan Elapsed)
{
    /// <summary>A few human-readable lines: sizes, time, and the family / split / answer counts.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"{DataJsonPath}: {Entries} entries, {Questions} questions, {Images} images in {Elapsed.TotalSeconds:F2} s\n");
        text.Append("families: ").AppendJoin(", ", Families.Select(p => $"{p.Key} {p.Value}")).Append('\n');
        text.Append("pope splits: ").AppendJoin(", ", PopeSplits.Select(p => $"{p.Key} {p.Value}")).Append('\n');
        text.Append("answers: ").AppendJoin(", ", Answers.Select(p => $"{p.Key} {p.Value}"));
        return text.ToString();
    }
}
