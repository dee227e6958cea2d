using LVPrune.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>transformers' CLIPVisionModel: a wrapper whose only child is vision_model (the key prefix).</summary>
public sealed class ClipVisionModel : nn.Module
{
    public readonly ClipVisionTransformer vision_model;

    public ClipVisionModel(ClipVisionConfig c, ScalarType dtype, Device? device) : base(nameof(ClipVisionModel))
    {
        vision_model = new ClipVisionTransformer(c, dtype, device);
        RegisterComponents();
    }
}

/// <summary>
/// CLIP's vision transformer: embeddings, pre_layrnorm, pre-LN encoder layers, post_layernorm.
/// LLaVA reads hidden_states[k] (0 = after pre_layrnorm, i = after encoder layer i), so only the
/// first k layers run; post_layernorm (and later layers) are loaded but unused.
/// </summary>
public sealed class ClipVisionTransformer : nn.Module
{
    public readonly ClipEmbeddings embeddings;
    private readonly LayerNorm pre_layrnorm; // sic: the checkpoint key is spelled this way
    public readonly ClipEncoder encoder;
    private readonly LayerNorm post_layernorm;

    public ClipVisionTransformer(ClipVisionConfig c, ScalarType dtype, Device? device) : base(nameof(ClipVisionTransformer))
    {
        embeddings = new ClipEmbeddings(c, dtype, device);
        pre_layrnorm = new LayerNorm(c.HiddenSize, c.LayerNormEps, dtype, device);
        encoder = new ClipEncoder(c, dtype, device);
        post_layernorm = new LayerNorm(c.HiddenSize, c.LayerNormEps, dtype, device);
        RegisterComponents();
    }

    /// <summary>hidden_states[<paramref name="hiddenStateIndex"/>] for pixels [B, C, H, W]: [B, 1+N, D].</summary>
    public Tensor HiddenState(Tensor pixelValues, int hiddenStateIndex)
    {
        using var scope = NewDisposeScope();
        var h = pre_layrnorm.forward(embeddings.forward(pixelValues));
        for (int i = 0; i < hiddenStateIndex; i++) h = encoder.layers[i].forward(h);
        return h.MoveToOuterDisposeScope();
    }
}

/// <summary>Patch embedding (a stride-P convolution without bias), class token, learned positions.</summary>
public sealed class ClipEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly Parameter class_embedding;      // [D]
    private readonly PatchConv patch_embedding;      // weight [D, C, P, P]
    private readonly Embedding position_embedding;   // [1+N, D]
    private readonly int _patch;

    public ClipEmbeddings(ClipVisionConfig c, ScalarType dtype, Device? device) : base(nameof(ClipEmbeddings))
    {
        _patch = c.PatchSize;
        class_embedding = new Parameter(empty(c.HiddenSize, dtype, device));
        patch_embedding = new PatchConv(c.NumChannels, c.HiddenSize, c.PatchSize, dtype, device);
        position_embedding = new Embedding(c.NumPatches + 1, c.HiddenSize, dtype, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixelValues)
    {
        using var scope = NewDisposeScope();
        var w = patch_embedding.weight;
        long B = pixelValues.shape[0];
        var patches = nn.functional.conv2d(pixelValues.to(w.dtype), w, strides: [_patch, _patch]); // [B, D, G, G]
        patches = patches.flatten(2).transpose(1, 2);                                           // [B, N, D]
        var cls = class_embedding.view(1, 1, -1).expand(B, 1, class_embedding.shape[0]);         // [B, 1, D]
        var h = cat([cls, patches], 1);                                                          // [B, 1+N, D]
        return h.Plus(position_embedding.weight.unsqueeze(0)).MoveToOuterDisposeScope();
    }
}

/// <summary>Holds the patch convolution's weight under the checkpoint's key (patch_embedding.weight).</summary>
public sealed class PatchConv : nn.Module
{
    public readonly Parameter weight; // [D, C, P, P]

    public PatchConv(int channels, int dim, int patch, ScalarType dtype, Device? device) : base(nameof(PatchConv))
    {
        weight = new Parameter(empty([dim, channels, patch, patch], dtype, device));
        RegisterComponents();
    }
}

/// <summary>The encoder's layer list (key segment encoder.layers.N).</summary>
public sealed class ClipEncoder : nn.Module
{
    public readonly ModuleList<ClipEncoderLayer> layers;

    public ClipEncoder(ClipVisionConfig c, ScalarType dtype, Device? device) : base(nameof(ClipEncoder))
    {
        layers = new ModuleList<ClipEncoderLayer>();
        for (int i = 0; i < c.NumHiddenLayers; i++) layers.Add(new ClipEncoderLayer(c, dtype, device));
        RegisterComponents();
    }
}
