using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LVPrune.Py;

/// <summary>
/// JSON as Python's <c>json</c> module writes and compares it. <see cref="Dumps"/> is
/// <c>json.dumps(obj)</c> with its defaults (separators ", " and ": ", ensure_ascii: every
/// non-ASCII character as \uXXXX, floats as <c>repr</c>), the form of LLaVA's answer files.
/// <see cref="Equal"/> is <c>==</c> between the values <c>json.loads</c> gives (1 == 1.0 == true).
/// </summary>
public static class PyJson
{
    /// <summary><c>json.dumps(obj)</c> of a node (null is JSON null).</summary>
    public static string Dumps(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        return sb.ToString();
    }

    /// <summary><c>json.dumps(s)</c> of a string, appended to <paramref name="sb"/>.</summary>
    public static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7E) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    private static void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null: sb.Append("null"); break;
            case JsonObject obj:
                sb.Append('{');
                bool first = true;
                foreach (var (key, value) in obj)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    WriteString(sb, key);
                    sb.Append(": ");
                    Write(sb, value);
                }
                sb.Append('}');
                break;
            case JsonArray array:
                sb.Append('[');
                for (int i = 0; i < array.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    Write(sb, array[i]);
                }
                sb.Append(']');
                break;
            case JsonValue value:
                WriteValue(sb, value);
                break;
        }
    }

    private static void WriteValue(StringBuilder sb, JsonValue value)
    {
        if (value.TryGetValue(out JsonElement element))
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String: WriteString(sb, element.GetString()!); return;
                case JsonValueKind.Number: sb.Append(NumberText(element.GetRawText())); return;
                case JsonValueKind.True: sb.Append("true"); return;
                case JsonValueKind.False: sb.Append("false"); return;
                case JsonValueKind.Null: sb.Append("null"); return;
                default: Write(sb, JsonNode.Parse(element.GetRawText())); return;
            }
        }
        if (value.TryGetValue(out string? s)) WriteString(sb, s);
        else if (value.TryGetValue(out bool b)) sb.Append(b ? "true" : "false");
        else if (value.TryGetValue(out double d)) sb.Append(FloatText(d));
        else if (value.TryGetValue(out float f)) sb.Append(FloatText(f));
        else if (value.TryGetValue(out long l)) sb.Append(l.ToString(CultureInfo.InvariantCulture));
        else if (value.TryGetValue(out int i)) sb.Append(i.ToString(CultureInfo.InvariantCulture));
        else throw new ArgumentException($"cannot write {value} as Python JSON");
    }

    // json.dumps of a float: repr, with NaN / Infinity spelled as Python spells them.
    private static string FloatText(double d) =>
        double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PyFloat.Repr(d);

    // A number token as json.loads then json.dumps gives it back: integers unchanged (Python
    // ints are unbounded), anything with a fraction or exponent as a float's repr.
    private static string NumberText(string raw) =>
        IsIntegerToken(raw) ? raw : FloatText(double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture));

    /// <summary>True for a JSON number token without fraction or exponent (json.loads gives an int).</summary>
    public static bool IsIntegerToken(string raw) => !raw.AsSpan().ContainsAny(".eE");

    /// <summary>Python's <c>==</c> on two parsed JSON values: numbers by value (true == 1, false == 0),
    /// strings by code point, lists element-wise, dicts by key set and values (a repeated key: the last wins).</summary>
    public static bool Equal(JsonElement a, JsonElement b)
    {
        if (Numeric(a) is { } x && Numeric(b) is { } y) return x.Equals(y);
        if (a.ValueKind != b.ValueKind) return false;
        switch (a.ValueKind)
        {
            case JsonValueKind.String: return string.Equals(a.GetString(), b.GetString(), StringComparison.Ordinal);
            case JsonValueKind.Null: return true;
            case JsonValueKind.Array:
                if (a.GetArrayLength() != b.GetArrayLength()) return false;
                using (var ea = a.EnumerateArray().GetEnumerator())
                using (var eb = b.EnumerateArray().GetEnumerator())
                    while (ea.MoveNext() && eb.MoveNext())
                        if (!Equal(ea.Current, eb.Current)) return false;
                return true;
            case JsonValueKind.Object:
                var da = LastWins(a);
                var db = LastWins(b);
                return da.Count == db.Count && da.All(kv => db.TryGetValue(kv.Key, out var v) && Equal(kv.Value, v));
            default: return false;
        }
    }

    /// <summary>The properties of an object, a repeated key keeping its last value (json.loads).</summary>
    public static Dictionary<string, JsonElement> LastWins(JsonElement obj)
    {
        var d = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in obj.EnumerateObject()) d[p.Name] = p.Value;
        return d;
    }

    // A number (or bool, which Python compares as 0/1) as an exact rational-free key: integers
    // exactly, other values as doubles (what json.loads makes of them).
    private static NumberKey? Numeric(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.True => new NumberKey(BigInteger.One, null),
        JsonValueKind.False => new NumberKey(BigInteger.Zero, null),
        JsonValueKind.Number => NumberKey.Parse(e.GetRawText()),
        _ => null,
    };

    /// <summary>The Python value of a number token: an int, or a float (an integral float equals the int).</summary>
    public readonly record struct NumberKey(BigInteger? Integer, double? Float)
    {
        public static NumberKey Parse(string raw)
        {
            if (IsIntegerToken(raw)) return new NumberKey(BigInteger.Parse(raw, CultureInfo.InvariantCulture), null);
            double d = double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (double.IsFinite(d) && Math.Floor(d) == d) return new NumberKey(new BigInteger(d), null);
            return new NumberKey(null, d);
        }

        /// <summary>A text that is equal for Python-equal numbers.</summary>
        public override string ToString() => Integer is { } i ? i.ToString(CultureInfo.InvariantCulture) : PyFloat.Repr(Float!.Value);
    }
}
