using LVPrune.Generation;
using LVPrune.Models;
using static TorchSharp.torch;

namespace LVPrune.Serving;

/// <summary>One prompt of a <see cref="GenerationBatch"/>: its tokens and image on the way in, its sampler and
/// decoding state after prefill. Owned by whoever created it (batches only refer to it); moves between
/// batches on merge.</summary>
public sealed class BatchRow : IDisposable
{
    public BatchRow(long[] promptIds, float[] pixels, GenerationOptions options)
    {
        PromptIds = promptIds;
        Pixels = pixels;
        Options = options;
        Sampler = new Sampler(options);
    }

    /// <summary>Prompt ids with the image token once (expanded by <see cref="LlavaBatch.FromTokens"/>).</summary>
    public long[] PromptIds { get; }
    /// <summary>The preprocessed image, channel-first float32 [3, H, W].</summary>
    public float[] Pixels { get; }
    public GenerationOptions Options { get; }
    public Sampler Sampler { get; }

    /// <summary>The last sampled token, not yet fed to the model.</summary>
    public long LastToken { get; internal set; }
    /// <summary>The RoPE position the next fed token takes (the row's real token count: pruning keeps positions).</summary>
    public long Position { get; internal set; }
    /// <summary>Tokens sampled so far (the first comes from prefill).</summary>
    public int Generated { get; internal set; }
    /// <summary>Set when the row's request has ended: the row may stay in its batch until the batch is
    /// rebuilt, fed and advanced like the others, but its sampler is no longer asked.</summary>
    public bool Finished { get; set; }

    public void Dispose() => Sampler.Dispose();
}

/// <summary>What prefill decided for one row: the image tokens (indices into the image block) each pruning stage kept.</summary>
public sealed record RowPrefill(IReadOnlyList<(int AfterLayer, int[] KeptImageTokens)> Stages);

/// <summary>
/// The model-facing half of serving: rows that decode together on one preallocated KV cache. A group of
/// prompts with the same pruning is prefilled as one left-padded batch (exactly as the runtime batches:
/// positions from the attention mask, padding masked). Batches then merge, and finished rows leave, by
/// rebuilding the cache with each row's cached tokens right-aligned: every row of every layer holds
/// [invalid padding][valid tokens], so a row's keys, values and validity are copied unchanged and only
/// the amount of leading padding differs. Keys carry their RoPE rotation already and each row feeds its
/// own position ids, so a row decodes over exactly the keys and values it would have alone (rows of
/// different lengths and different pruning share decode steps: continuous batching). Owns its cache,
/// not its rows.
/// All calls must come from one thread (TorchSharp dispose scopes are thread-local).
/// </summary>
public sealed class GenerationBatch : IDisposable
{
    private readonly LlavaForConditionalGeneration _model;
    private readonly KvCache _cache;
    private readonly List<BatchRow> _rows;
    private readonly bool _hasPadding;

    private GenerationBatch(LlavaForConditionalGeneration model, KvCache cache, List<BatchRow> rows, bool hasPadding)
    {
        _model = model;
        _cache = cache;
        _rows = rows;
        _hasPadding = hasPadding;
    }

    public IReadOnlyList<BatchRow> Rows => _rows;
    public int Count => _rows.Count;
    /// <summary>Tokens held by the cache's first (longest) layer, padding included.</summary>
    public int CachedLength => _cache[0].Length;

    /// <summary>
    /// Runs the prompts of <paramref name="rows"/> (vision tower, projector, decoder with <paramref name="selector"/>'s
    /// pruning) as one left-padded batch into a new cache, and samples each row's first token.
    /// </summary>
    public static (GenerationBatch Batch, IReadOnlyList<RowPrefill> Prefill) Prefill(
        LlavaForConditionalGeneration model, IReadOnlyList<BatchRow> rows, ITokenSelector? selector, int padId)
    {
        if (rows.Count == 0) throw new ArgumentException("no rows to prefill", nameof(rows));
        var config = model.Config;
        var text = config.TextConfig;
        int size = config.VisionConfig.ImageSize;
        int B = rows.Count;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var pixelData = new float[B * 3 * size * size];
        for (int b = 0; b < B; b++)
        {
            if (rows[b].Pixels.Length != 3 * size * size)
                throw new ArgumentException($"row {b}: pixels hold {rows[b].Pixels.Length} floats, the model takes 3 x {size} x {size}");
            rows[b].Pixels.CopyTo(pixelData, b * 3 * size * size);
        }
        var pixels = tensor(pixelData, [B, 3, size, size]);                                        // [B, 3, S, S]
        using var batch = LlavaBatch.FromTokens(rows.Select(r => (IReadOnlyList<long>)r.PromptIds).ToList(), pixels,
                                                config.ImageTokenIndex, config.ImageTokens, padId);
        int capacity = (int)batch.Length + rows.Max(r => Math.Max(1, r.Options.MaxNewTokens));
        var cache = new KvCache(text.NumHiddenLayers, B, text.KvHeads, capacity, text.HeadDimension, model.DType, model.Device);
        try
        {
            var output = model.Forward(batch, selector, cache, LogitsMode.Last);
            var first = SampleRows(rows, output.Logits!.squeeze(1));                               // [B, V] -> B ids
            var positions = batch.NextPositions().cpu().data<long>().ToArray();                          // [B, 1]
            var prefill = new RowPrefill[B];
            for (int b = 0; b < B; b++)
            {
                rows[b].LastToken = first[b];
                rows[b].Position = positions[b];
                rows[b].Generated = 1;
                prefill[b] = new RowPrefill(output.Decoder.Stages.Select(s =>
                    (s.Layer, s.Tokens.ImageIndex[b].cpu().data<long>().ToArray().Where(i => i >= 0).Select(i => (int)i).ToArray())).ToList());
            }
            return (new GenerationBatch(model, cache, rows.ToList(), batch.HasPadding), prefill);
        }
        catch
        {
            cache.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One decode step for every row: feeds each row's last token at its own position and samples the
    /// next (each row with its own sampler, so a sampled row draws what it would draw alone).
    /// </summary>
    public long[] Step()
    {
        int B = _rows.Count;
        var ids = new long[B];
        var positions = new long[B];
        for (int b = 0; b < B; b++)
        {
            ids[b] = _rows[b].LastToken;
            positions[b] = _rows[b].Position;
        }
        long[] next;
        using (no_grad())
        using (DecodeThreads.Enter(_model))
        using (NewDisposeScope())
        {
            var logits = _model.DecodeStep(tensor(ids, [B, 1]), tensor(positions, [B, 1]), _cache, _hasPadding); // [B, 1, V]
            next = SampleRows(_rows, logits.squeeze(1));
        }
        for (int b = 0; b < B; b++)
        {
            var row = _rows[b];
            row.LastToken = next[b];
            row.Position++;
            row.Generated++;
        }
        return next;
    }

    /// <summary>
    /// A batch of the given rows (each from <paramref name="sources"/>), on a new cache with each row's
    /// cached tokens right-aligned; the sources keep their caches (dispose them) and give up those rows.
    /// Leading padding shared by all rows is dropped.
    /// </summary>
    public static GenerationBatch Gather(IReadOnlyList<(GenerationBatch Source, int Row)> rows)
    {
        if (rows.Count == 0) throw new ArgumentException("no rows to gather", nameof(rows));
        var model = rows[0].Source._model;
        var first = rows[0].Source._cache;
        int layers = first.LayerCount;
        int B = rows.Count;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        // Valid tokens per row and layer, checked to sit at the end of the row (right-aligned).
        var valid = new Dictionary<GenerationBatch, long[][]>();
        foreach (var source in rows.Select(r => r.Source).Distinct())
            valid[source] = source.ValidCounts();
        var lengths = new int[layers];
        bool padded = false;
        for (int l = 0; l < layers; l++)
        {
            lengths[l] = (int)rows.Max(r => valid[r.Source][l][r.Row]);
            padded |= rows.Any(r => valid[r.Source][l][r.Row] != lengths[l]);
        }
        // Room for every row's remaining tokens; a finished row that rides along needs none of its own.
        int capacity = lengths.Max() + rows.Max(r => Math.Max(1, r.Source._rows[r.Row].Options.MaxNewTokens - r.Source._rows[r.Row].Generated));
        var kv = first[0].K;
        var cache = new KvCache(layers, B, (int)kv.shape[1], capacity, (int)kv.shape[3], kv.dtype, kv.device);
        for (int l = 0; l < layers; l++)
        {
            var dst = cache[l];
            for (int b = 0; b < B; b++)
            {
                var (source, row) = rows[b];
                var src = source._cache[l];
                int n = (int)valid[source][l][row], from = src.Length - n, to = lengths[l] - n;
                if (to > 0)
                {
                    // Padding slots are masked, but a masked value still enters attention's weighted sum
                    // (weight 0): the cache's uninitialised memory could hold NaN, and 0 x NaN = NaN.
                    dst.K[b].narrow(1, 0, to).zero_();
                    dst.V[b].narrow(1, 0, to).zero_();
                }
                dst.K[b].narrow(1, to, n).copy_(src.K[row].narrow(1, from, n));                       // [KvH, n, Dh]
                dst.V[b].narrow(1, to, n).copy_(src.V[row].narrow(1, from, n));
                dst.Valid[b].narrow(0, to, n).copy_(src.Valid[row].narrow(0, from, n));            // all true
            }
            dst.Length = lengths[l];
        }
        return new GenerationBatch(model, cache, rows.Select(r => r.Source._rows[r.Row]).ToList(), padded);
    }

    /// <summary>Per layer, per row: how many valid tokens the cache holds. Throws unless they end each row.</summary>
    private long[][] ValidCounts()
    {
        var counts = new long[_cache.LayerCount][];
        for (int l = 0; l < _cache.LayerCount; l++)
        {
            var layer = _cache[l];
            var valid = layer.Valid.narrow(1, 0, layer.Length).to(ScalarType.Int64);                 // [B, L]
            counts[l] = valid.sum([1]).cpu().data<long>().ToArray();
            var trailing = valid.flip(1).cumprod(1).sum([1]).cpu().data<long>().ToArray();               // run of valid tokens at the end
            if (!counts[l].SequenceEqual(trailing))
                throw new InvalidOperationException($"KV cache layer {l} holds padding after valid tokens; rows cannot be realigned");
        }
        return counts;
    }

    /// <summary>Next ids from fp32 logits [B, V]: one argmax for the greedy rows, each sampled row through its own sampler.</summary>
    private static long[] SampleRows(IReadOnlyList<BatchRow> rows, Tensor logits)
    {
        var ids = logits.argmax(-1).cpu().data<long>().ToArray();                                        // [B]
        for (int b = 0; b < rows.Count; b++)
            if (rows[b].Options.Temperature > 0 && !rows[b].Finished)
                ids[b] = rows[b].Sampler.Next(logits.narrow(0, b, 1)).cpu().data<long>()[0];
        return ids;
    }

    /// <summary>Frees the cache (the rows belong to the caller).</summary>
    public void Dispose() => _cache.Dispose();
}
