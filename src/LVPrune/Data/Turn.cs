namespace LVPrune.Data;

/// <summary>One turn of a LLaVA conversation: <c>{"from": "human" | "gpt", "value": "..."}</c>.</summary>
public sealed record Turn(string From, string Value)
{
    public const string Human = "human";
    public const string Gpt = "gpt";
}
