using LVPrune.Checkpoints;
using static TorchSharp.torch;
using TorchSharp;

namespace LVPrune.Models;

/// <summary>
/// A batch of prompts (and supervised labels, for training) ready for the model: image tokens
/// expanded to the image's token count, rows left-padded to one length. A prompt may carry the
/// image token once (it is expanded here) or already expanded (one copy per image token).
/// </summary>
public sealed class LlavaBatch : IDisposable
{
    public const long IgnoreIndex = -100;

    public required Tensor InputIds { get; init; }      // [B, T] int64
    public required Tensor AttentionMask { get; init; } // [B, T] int64, 1 = real token
    public required Tensor ImageMask { get; init; }     // [B, T] bool, image-token positions
    public Tensor? Labels { get; init; }                // [B, T] int64, -100 = not supervised
    public Tensor? PixelValues { get; init; }           // [B, 3, H, W] float32
    public required bool HasPadding { get; init; }

    public long Batch => InputIds.shape[0];
    public long Length => InputIds.shape[1];

    /// <summary>
    /// Builds a left-padded batch from token lists. Each row must hold exactly one image block: one
    /// image token (expanded here to <paramref name="imageTokens"/> copies) or exactly that many.
    /// </summary>
    public static LlavaBatch FromTokens(IReadOnlyList<IReadOnlyList<long>> rows, Tensor? pixelValues, int imageTokenId, int imageTokens,
                                        int padId, IReadOnlyList<IReadOnlyList<long>>? labels = null)
    {
        if (rows.Count == 0) throw new LVPruneException("empty batch");
        if (pixelValues is not null && pixelValues.shape[0] != rows.Count)
            throw new LVPruneException($"pixel_values has {pixelValues.shape[0]} images for {rows.Count} prompts");
        var expanded = new List<long[]>();
        var expandedLabels = new List<long[]>();
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            int count = row.Count(t => t == imageTokenId);
            if (pixelValues is not null && count == 0)
                throw new LVPruneException($"prompt {r} has no <image> token (id {imageTokenId})");
            if (count != 0 && count != 1 && count != imageTokens)
                throw new LVPruneException($"prompt {r} has {count} image tokens; expected 1 (expanded here) or {imageTokens} (already expanded)");
            if (count > 0 && pixelValues is null)
                throw new LVPruneException($"prompt {r} has image tokens but no image was given");
            var lab = labels?[r];
            if (lab is not null && lab.Count != row.Count)
                throw new LVPruneException($"labels of row {r} have length {lab.Count}, ids {row.Count}");
            var ids = new List<long>(row.Count + imageTokens);
            var labs = new List<long>(row.Count + imageTokens);
            for (int i = 0; i < row.Count; i++)
            {
                if (row[i] == imageTokenId && count == 1)
                {
                    for (int k = 0; k < imageTokens; k++) { ids.Add(imageTokenId); labs.Add(IgnoreIndex); }
                }
                else
                {
                    ids.Add(row[i]);
                    labs.Add(row[i] == imageTokenId ? IgnoreIndex : lab?[i] ?? IgnoreIndex);
                }
            }
            expanded.Add(ids.ToArray());
            expandedLabels.Add(labs.ToArray());
        }
        int T = expanded.Max(e => e.Length);
        int B = expanded.Count;
        var idData = new long[B * T];
        var maskData = new long[B * T];
        var labelData = new long[B * T];
        bool padded = false;
        for (int b = 0; b < B; b++)
        {
            int pad = T - expanded[b].Length;
            padded |= pad > 0;
            for (int t = 0; t < T; t++)
            {
                bool real = t >= pad;
                idData[b * T + t] = real ? expanded[b][t - pad] : padId;
                maskData[b * T + t] = real ? 1 : 0;
                labelData[b * T + t] = real ? expandedLabels[b][t - pad] : IgnoreIndex;
            }
        }
        var inputIds = tensor(idData, [B, T]);
        return new LlavaBatch
        {
            InputIds = inputIds,
            AttentionMask = tensor(maskData, [B, T]),
            ImageMask = EqualTo(inputIds, imageTokenId),
            Labels = labels is null ? null : tensor(labelData, [B, T]),
            PixelValues = pixelValues,
            HasPadding = padded,
        };
    }

    private static Tensor EqualTo(Tensor ids, long value)
    {
        using var s = value.ToScalar();
        return ids.eq(s);
    }

    /// <summary>Builds a batch from tensors (the `forward` command's input file).</summary>
    public static LlavaBatch FromTensors(Tensor inputIds, Tensor? attentionMask, Tensor? pixelValues, int imageTokenId, int imageTokens)
    {
        if (inputIds.dim() != 2) throw new LVPruneException($"input_ids must be [B, T], got [{string.Join(", ", inputIds.shape)}]");
        if (attentionMask is not null && !attentionMask.shape.SequenceEqual(inputIds.shape))
            throw new LVPruneException($"attention_mask shape [{string.Join(", ", attentionMask.shape)}] differs from input_ids [{string.Join(", ", inputIds.shape)}]");
        long B = inputIds.shape[0];
        var ids = inputIds.to(ScalarType.Int64).cpu();
        var mask = attentionMask?.to(ScalarType.Int64).cpu();
        // Strip each row's padding, then rebuild (expanding a single image token when needed).
        var rows = new List<IReadOnlyList<long>>();
        long[] flat = ids.data<long>().ToArray();
        long[]? flatMask = mask?.data<long>().ToArray();
        long T = inputIds.shape[1];
        int padId = 0;
        for (int b = 0; b < B; b++)
        {
            var row = new List<long>();
            for (long t = 0; t < T; t++)
            {
                if (flatMask is null || flatMask[b * T + t] != 0) row.Add(flat[b * T + t]);
                else padId = (int)flat[b * T + t];
            }
            if (flatMask is not null && row.Count > 0)
            {
                // Only left padding keeps the positions of the reference; right padding is refused.
                long firstReal = Array.FindIndex(flatMask, (int)(b * T), (int)T, m => m != 0) - b * T;
                if (firstReal + row.Count != T)
                    throw new LVPruneException($"attention_mask row {b} is not left-padded (real tokens must be contiguous at the end)");
            }
            rows.Add(row);
        }
        return FromTokens(rows, pixelValues, imageTokenId, imageTokens, padId);
    }

    /// <summary>Per-token state for the decoder: positions cumsum(mask) - 1 (padding at 1), as transformers' generate.</summary>
    public TokenState TokenState(Device device)
    {
        using var scope = NewDisposeScope();
        var mask = AttentionMask.to(device);
        var valid = mask.ne(Scalars.Zero);
        var positions = mask.cumsum(1).sub_(Scalars.One).masked_fill(valid.logical_not(), Scalars.One);
        var isImage = ImageMask.to(device);
        var imageIndex = where(isImage, isImage.to(ScalarType.Int64).cumsum(1).sub_(Scalars.One), full_like(positions, Scalars.MinusOne));
        var guide = valid.logical_and(isImage.logical_not());
        if (Labels is not null) guide = guide.logical_and(Labels.to(device).eq(Scalars.IgnoreIndex));
        using var length = Length.ToScalar();
        var original = arange(Scalars.Zero, length, Scalars.One, ScalarType.Int64, device).unsqueeze(0).expand(Batch, Length).contiguous();
        return new TokenState
        {
            PositionIds = positions, Valid = valid, ImageIndex = imageIndex, Guide = guide, OriginalIndex = original, HasPadding = HasPadding,
        }.MoveToOuterDisposeScope();
    }

    /// <summary>The position id the next generated token takes in each row: [B, 1].</summary>
    public Tensor NextPositions() => AttentionMask.sum([1], keepdim: true).to(ScalarType.Int64);

    public void Dispose()
    {
        InputIds.Dispose(); AttentionMask.Dispose(); ImageMask.Dispose(); Labels?.Dispose();
    }
}
