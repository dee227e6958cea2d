namespace LVPrune.Serving;

/// <summary>
/// The pruning a request asks for (the <c>"lvprune"</c> field of a chat completion, or an IChatClient's
/// AdditionalProperties): a method (none, lvpruning, random, fastv) and its budget, any of them absent to
/// take the server's setting. <see cref="Rho"/> means keep ratios [rho, rho-0.2, rho-0.4] for lvpruning
/// and random (the paper's schedule) and the kept share for fastv, which prunes once; <see cref="Keep"/>
/// gives the ratios per stage directly; <see cref="Seed"/> seeds random selection.
/// </summary>
public sealed record PruningRequest(string? Method = null, double? Rho = null, IReadOnlyList<double>? Keep = null, long? Seed = null)
{
    /// <summary>The field name used in requests and responses.</summary>
    public const string FieldName = "lvprune";
}
