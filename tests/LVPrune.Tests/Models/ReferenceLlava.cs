using TorchSharp;
using LVPrune.Checkpoints;
using static TorchSharp.torch;

namespace LVPrune.Tests.Models;

/// <summary>
/// An independent, deliberately plain LLaVA forward in float64 from a state dict: CLIP patches cut
/// by hand, explicit softmax attention, RoPE angles from Math.Pow/Math.Cos per position, grouped
/// heads mapped by index, no KV cache, no TokenState. It shares no code with LVPrune.Models, so
/// agreement checks the runtime against the equations, not against itself.
/// </summary>
public sealed class ReferenceLlava
{
    private readonly Dictionary<string, Tensor> _w;
    private readonly LlavaConfig _c;

    public ReferenceLlava(LlavaConfig config, IEnumerable<(string, Tensor)> stateDict)
    {
        _c = config;
        _w = stateDict.ToDictionary(kv => kv.Item1, kv => kv.Item2.detach().to(ScalarType.Float64).cpu());
    }

    private Tensor W(string key) => _w[key];
    private Tensor Lin(Tensor x, string prefix, bool bias) =>
        matmul(x, W(prefix + ".weight").t()) + (bias ? W(prefix + ".bias") : zeros(1, ScalarType.Float64));

    private static Tensor LayerNormRef(Tensor x, Tensor w, Tensor b, double eps)
    {
        var mean = x.mean([-1], keepdim: true);
        var var = (x - mean).pow(2).mean([-1], keepdim: true);
        return (x - mean) / (var + eps).sqrt() * w + b;
    }

    private static Tensor Softmax(Tensor s)
    {
        var e = (s - s.amax([-1], keepdim: true)).exp();
        return e / e.sum([-1], keepdim: true);
    }

    /// <summary>Projected image features [N, Dt] for one image [3, H, W].</summary>
    public Tensor ImageFeatures(Tensor pixels)
    {
        var v = _c.VisionConfig;
        int P = v.PatchSize, G = v.GridSize, D = v.HiddenSize, Hh = v.NumAttentionHeads, Dh = D / Hh;
        var px = pixels.to(ScalarType.Float64);
        var convW = W("vision_tower.vision_model.embeddings.patch_embedding.weight").reshape(D, -1); // [D, 3*P*P]
        var rows = new List<Tensor>();
        for (int gy = 0; gy < G; gy++)
            for (int gx = 0; gx < G; gx++)
            {
                var patch = px.narrow(1, gy * P, P).narrow(2, gx * P, P).reshape(-1);                   // [3*P*P] (c, y, x) order
                rows.Add(matmul(convW, patch));
            }
        var h = cat([W("vision_tower.vision_model.embeddings.class_embedding").unsqueeze(0), stack(rows)], 0); // [1+N, D]
        h = h + W("vision_tower.vision_model.embeddings.position_embedding.weight");
        string pre = "vision_tower.vision_model.";
        h = LayerNormRef(h, W(pre + "pre_layrnorm.weight"), W(pre + "pre_layrnorm.bias"), v.LayerNormEps);
        for (int l = 0; l < _c.VisionLayersToRun; l++)
        {
            string p = $"{pre}encoder.layers.{l}.";
            var x = LayerNormRef(h, W(p + "layer_norm1.weight"), W(p + "layer_norm1.bias"), v.LayerNormEps);
            var q = Lin(x, p + "self_attn.q_proj", true); var k = Lin(x, p + "self_attn.k_proj", true); var vv = Lin(x, p + "self_attn.v_proj", true);
            var heads = new List<Tensor>();
            for (int hd = 0; hd < Hh; hd++)
            {
                var qh = q.narrow(1, hd * Dh, Dh); var kh = k.narrow(1, hd * Dh, Dh); var vh = vv.narrow(1, hd * Dh, Dh);
                heads.Add(matmul(Softmax(matmul(qh, kh.t()) / Math.Sqrt(Dh)), vh));
            }
            h = h + Lin(cat(heads, 1), p + "self_attn.out_proj", true);
            x = LayerNormRef(h, W(p + "layer_norm2.weight"), W(p + "layer_norm2.bias"), v.LayerNormEps);
            var f = Lin(x, p + "mlp.fc1", true);
            f = f * sigmoid(1.702 * f); // quick_gelu
            h = h + Lin(f, p + "mlp.fc2", true);
        }
        if (_c.VisionFeatureSelectStrategy == "default") h = h.narrow(0, 1, h.shape[0] - 1);
        var y = Lin(h, "multi_modal_projector.linear_1", true);
        y = 0.5 * y * (1 + special.erf(y / Math.Sqrt(2))); // exact GELU
        return Lin(y, "multi_modal_projector.linear_2", true);
    }

    /// <summary>Embeds one unpadded prompt (image token expanded here) → [T, D] and the image flags.</summary>
    public (Tensor embeds, bool[] isImage) Embed(long[] ids, Tensor pixels)
    {
        var feats = ImageFeatures(pixels);
        var rows = new List<Tensor>();
        var flags = new List<bool>();
        var table = W("language_model.model.embed_tokens.weight");
        foreach (long id in ids)
        {
            if (id == _c.ImageTokenIndex)
                for (int i = 0; i < feats.shape[0]; i++) { rows.Add(feats[i]); flags.Add(true); }
            else { rows.Add(table[id]); flags.Add(false); }
        }
        return (stack(rows), flags.ToArray());
    }

    /// <summary>Runs decoder layers [from, to) on hidden [T, D] at the given positions (causal in sequence order).</summary>
    public Tensor Layers(Tensor h, long[] positions, int from, int to)
    {
        var t = _c.TextConfig;
        int H = t.NumAttentionHeads, KvH = t.KvHeads, Dh = t.HeadDimension, T = (int)h.shape[0];
        // RoPE in the rotate_half form: angle(pos, i) = pos / theta^(2i/Dh), i < Dh/2, duplicated.
        var cos = new double[T * Dh]; var sin = new double[T * Dh];
        for (int p = 0; p < T; p++)
            for (int i = 0; i < Dh; i++)
            {
                double angle = positions[p] / Math.Pow(t.RopeTheta, 2.0 * (i % (Dh / 2)) / Dh);
                cos[p * Dh + i] = Math.Cos(angle); sin[p * Dh + i] = Math.Sin(angle);
            }
        var cosT = tensor(cos, [T, Dh], ScalarType.Float64); var sinT = tensor(sin, [T, Dh], ScalarType.Float64);
        Tensor Rot(Tensor x) => x * cosT + cat([-x.narrow(1, Dh / 2, Dh / 2), x.narrow(1, 0, Dh / 2)], 1) * sinT;
        var causal = ones(T, T, ScalarType.Bool).tril();
        for (int l = from; l < to; l++)
        {
            string p = $"language_model.model.layers.{l}.";
            var x = RmsRef(h, W(p + "input_layernorm.weight"), t.RmsNormEps);
            var q = Lin(x, p + "self_attn.q_proj", false); var k = Lin(x, p + "self_attn.k_proj", false); var v = Lin(x, p + "self_attn.v_proj", false);
            var heads = new List<Tensor>();
            for (int hd = 0; hd < H; hd++)
            {
                int kvh = hd / (H / KvH);
                var qh = Rot(q.narrow(1, hd * Dh, Dh)); var kh = Rot(k.narrow(1, kvh * Dh, Dh)); var vh = v.narrow(1, kvh * Dh, Dh);
                var s = (matmul(qh, kh.t()) / Math.Sqrt(Dh)).masked_fill(causal.logical_not(), double.NegativeInfinity);
                heads.Add(matmul(Softmax(s), vh));
            }
            h = h + Lin(cat(heads, 1), p + "self_attn.o_proj", false);
            x = RmsRef(h, W(p + "post_attention_layernorm.weight"), t.RmsNormEps);
            var g = Lin(x, p + "mlp.gate_proj", false);
            h = h + Lin(g * sigmoid(g) * Lin(x, p + "mlp.up_proj", false), p + "mlp.down_proj", false);
        }
        return h;
    }

    /// <summary>Attention weights of the last token in decoder layer <paramref name="layer"/> over all tokens, averaged over heads: [T].</summary>
    public Tensor LastQueryAttention(Tensor h, long[] positions, int layer) => QueryAttention(h, positions, layer, (int)h.shape[0] - 1);

    /// <summary>Attention weights of token <paramref name="row"/> in decoder layer <paramref name="layer"/>, averaged over
    /// heads: [T], zero on the keys after it (causal).</summary>
    public Tensor QueryAttention(Tensor h, long[] positions, int layer, int row)
    {
        var t = _c.TextConfig;
        int H = t.NumAttentionHeads, KvH = t.KvHeads, Dh = t.HeadDimension, T = (int)h.shape[0];
        string p = $"language_model.model.layers.{layer}.";
        var x = RmsRef(h, W(p + "input_layernorm.weight"), t.RmsNormEps);
        var q = Lin(x, p + "self_attn.q_proj", false); var k = Lin(x, p + "self_attn.k_proj", false);
        Tensor Rot(Tensor v, long pos)
        {
            var outp = v.clone();
            for (int i = 0; i < Dh; i++)
            {
                double angle = pos / Math.Pow(t.RopeTheta, 2.0 * (i % (Dh / 2)) / Dh);
                double other = i < Dh / 2 ? -v[i + Dh / 2].ToDouble() : v[i - Dh / 2].ToDouble();
                outp[i] = tensor(v[i].ToDouble() * Math.Cos(angle) + other * Math.Sin(angle), ScalarType.Float64);
            }
            return outp;
        }
        var avg = zeros(T, ScalarType.Float64);
        for (int hd = 0; hd < H; hd++)
        {
            int kvh = hd / (H / KvH);
            var qRow = Rot(q[row].narrow(0, hd * Dh, Dh), positions[row]);
            var scores = stack(Enumerable.Range(0, row + 1).Select(j => (Rot(k[j].narrow(0, kvh * Dh, Dh), positions[j]) * qRow).sum() / Math.Sqrt(Dh)).ToArray());
            avg.narrow(0, 0, row + 1).add_(Softmax(scores) / H);
        }
        return avg;
    }

    public Tensor Logits(Tensor h) =>
        matmul(RmsRef(h, W("language_model.model.norm.weight"), _c.TextConfig.RmsNormEps), W("language_model.lm_head.weight").t());

    private static Tensor RmsRef(Tensor x, Tensor w, double eps) => x / (x.pow(2).mean([-1], keepdim: true) + eps).sqrt() * w;
}
