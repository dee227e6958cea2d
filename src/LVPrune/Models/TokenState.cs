using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// Everything that lives per token of the sequence the decoder is working on, all [B, T]. When a
/// pruning stage removes tokens, every field is gathered with the same indices, so kept tokens keep
/// their original position ids (RoPE sees the positions it would see without pruning).
/// </summary>
public sealed class TokenState : IDisposable
{
    /// <summary>RoPE positions (int64); cumsum of the attention mask - 1, as transformers' generate does.</summary>
    public required Tensor PositionIds { get; init; }
    /// <summary>true for real tokens, false for padding (bool).</summary>
    public required Tensor Valid { get; init; }
    /// <summary>Index inside the image block (0..N-1) for image tokens, -1 for text (int64).</summary>
    public required Tensor ImageIndex { get; init; }
    /// <summary>Prompt text tokens that may guide pruning: no padding, no answer tokens (bool).</summary>
    public required Tensor Guide { get; init; }
    /// <summary>Index of the token in the sequence before any pruning (int64).</summary>
    public required Tensor OriginalIndex { get; init; }
    /// <summary>Whether any token of <see cref="Valid"/> may be padding (false lets attention skip masks).</summary>
    public required bool HasPadding { get; init; }

    public long Batch => PositionIds.shape[0];
    public long Length => PositionIds.shape[1];

    public Tensor IsImage => ImageIndex.ge(Scalars.Zero);

    /// <summary>Keeps the tokens at <paramref name="index"/> [B, T'] (ascending per row).</summary>
    public TokenState Gather(Tensor index) => new()
    {
        PositionIds = PositionIds.gather(1, index),
        Valid = Valid.gather(1, index),
        ImageIndex = ImageIndex.gather(1, index),
        Guide = Guide.gather(1, index),
        OriginalIndex = OriginalIndex.gather(1, index),
        HasPadding = HasPadding,
    };

    public IEnumerable<Tensor> Tensors() => [PositionIds, Valid, ImageIndex, Guide, OriginalIndex];

    public TokenState MoveToOuterDisposeScope()
    {
        foreach (var t in Tensors()) t.MoveToOuterDisposeScope();
        return this;
    }

    public void Dispose()
    {
        foreach (var t in Tensors()) t.Dispose();
    }
}
