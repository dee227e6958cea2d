using System.Text.Json;
using System.Text.Json.Nodes;
using LVPrune.Py;

namespace LVPrune.Benchmarks;

/// <summary>
/// A question id as the official Python scripts see it after <c>json.loads</c>: equal keys are
/// Python-equal values (the string "5" differs from the number 5; 5, 5.0 and true... follow
/// Python's number equality). <see cref="Json"/> keeps the value for writing it back unchanged.
/// </summary>
public sealed class QuestionKey : IEquatable<QuestionKey>
{
    private readonly string _key;

    private QuestionKey(string key, string display, JsonNode? json)
    {
        _key = key;
        Display = display;
        Json = json;
    }

    /// <summary>How errors and tables show the id: the string itself, or the number.</summary>
    public string Display { get; }

    /// <summary>The id as it appeared in the file (a string or a number token).</summary>
    public JsonNode? Json { get; }

    /// <summary>The key of a parsed JSON value (string, number, bool or null; containers are not ids).</summary>
    public static QuestionKey? From(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => new QuestionKey("s:" + e.GetString(), e.GetString()!, JsonValue.Create(e.Clone())),
        JsonValueKind.Number => Number(e),
        JsonValueKind.True => new QuestionKey("n:1", "True", JsonValue.Create(e.Clone())),
        JsonValueKind.False => new QuestionKey("n:0", "False", JsonValue.Create(e.Clone())),
        _ => null,
    };

    /// <summary>A string id.</summary>
    public static QuestionKey OfString(string s) => new("s:" + s, s, JsonValue.Create(s));

    /// <summary>An integer id.</summary>
    public static QuestionKey OfInteger(long n) => new("n:" + n.ToString(System.Globalization.CultureInfo.InvariantCulture),
                                                        n.ToString(System.Globalization.CultureInfo.InvariantCulture), JsonValue.Create(n));

    private static QuestionKey Number(JsonElement e)
    {
        string raw = e.GetRawText();
        string canonical = PyJson.NumberKey.Parse(raw).ToString();
        return new QuestionKey("n:" + canonical, PyJson.IsIntegerToken(raw) ? raw : canonical, JsonValue.Create(e.Clone()));
    }

    /// <summary>True for an integer id (a JSON number without fraction).</summary>
    public bool IsInteger => _key.StartsWith("n:", StringComparison.Ordinal) && !_key.Contains('.', StringComparison.Ordinal)
                             && !_key.Contains('e', StringComparison.Ordinal) && !_key.Contains("inf", StringComparison.Ordinal);

    /// <summary>True for a string id.</summary>
    public bool IsString => _key.StartsWith("s:", StringComparison.Ordinal);

    public bool Equals(QuestionKey? other) => other is not null && string.Equals(_key, other._key, StringComparison.Ordinal);
    public override bool Equals(object? obj) => Equals(obj as QuestionKey);
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_key);
    public override string ToString() => Display;
}
