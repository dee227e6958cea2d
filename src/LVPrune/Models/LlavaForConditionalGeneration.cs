using LVPrune.Checkpoints;
using LVPrune.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>Which positions get logits: all present at the end, only the last, or none.</summary>
public enum LogitsMode { All, Last, None }

/// <summary>A forward pass's results. Logits are fp32 over the tokens still present.</summary>
public sealed record LlavaForwardResult(Tensor? Logits, Tensor? ImageFeatures, DecoderOutput Decoder);

/// <summary>
/// transformers' LlavaForConditionalGeneration in the llava-hf key layout: vision_tower (CLIP),
/// multi_modal_projector, language_model (LLaMA). The image features replace the image tokens
/// of the prompt; the language model then runs with explicit positions and optional pruning.
/// </summary>
public sealed class LlavaForConditionalGeneration : nn.Module
{
    public readonly ClipVisionModel vision_tower;
    public readonly LlavaMultiModalProjector multi_modal_projector;
    public readonly LlamaForCausalLM language_model;

    public LlavaConfig Config { get; }
    /// <summary>The dtype of the weights (`--dtype`): the linear layers' and the token embedding table's
    /// (int8 layers, <see cref="Quantized"/>, hold int8 in its place).</summary>
    public ScalarType DType { get; }
    /// <summary>The dtype of the activations, the KV cache, norms, biases' use and the small parameters
    /// (norms, the patch convolution, CLIP's class and position embeddings): <see cref="DType"/> on the
    /// native path, fp32 on the fp32 compute path (<see cref="RuntimeOptions.ResolveCompute"/>).</summary>
    public ScalarType ComputeDType { get; }
    /// <summary>The compute path chosen at load, with the kernel ISA and the reason.</summary>
    public ComputeChoice Compute { get; }
    /// <summary>Whether the language model's projections are int8 (`--quantize int8` or an int8 checkpoint).</summary>
    public bool Quantized => Runtime.Quantize is not null;
    /// <summary>The weights' kind for reports: fp32, bf16 or int8.</summary>
    public string WeightKind => Quantized ? Quantization.Int8Checkpoint.Int8 : WeightDType.Name(DType);
    public Device Device { get; }
    /// <summary>Kernel choices, fixed at load.</summary>
    public RuntimeOptions Runtime { get; }

    public LlavaForConditionalGeneration(LlavaConfig config, ScalarType dtype, Device? device = null, RuntimeOptions? runtime = null)
        : base(nameof(LlavaForConditionalGeneration))
    {
        Config = config;
        DType = dtype;
        Device = device ?? CPU;
        Runtime = runtime ?? RuntimeOptions.Default;
        (Compute, ComputeDType) = Runtime.ResolveCompute(dtype, Runtime.Quantize is not null, Device);
        vision_tower = new ClipVisionModel(config.VisionConfig, dtype, Device);
        multi_modal_projector = new LlavaMultiModalProjector(config, dtype, Device);
        language_model = new LlamaForCausalLM(config, dtype, Device, Runtime, ComputeDType, DecodesOnFp32Kernels);
        RegisterComponents();
        if (ComputeDType != dtype)
            foreach (var small in modules().Where(m => m is RmsNorm or LayerNorm or ClipEmbeddings).ToList()) small.to(ComputeDType);
        UseRuntimeIn(this);
    }

    /// <summary>Whether products and decode attention run our fp32-output kernels over narrower weights (bf16 or int8 under fp32 compute).</summary>
    public bool DecodesOnFp32Kernels => ComputeDType == ScalarType.Float32 && (DType == ScalarType.BFloat16 || Runtime.Quantize is not null) && Device.type == TorchSharp.DeviceType.CPU;

    /// <summary>Whether decode steps run on .NET's kernel threads (then LibTorch should run single-threaded meanwhile).</summary>
    public bool DecodesThroughKernels =>
        Device.type == TorchSharp.DeviceType.CPU && (DecodesOnFp32Kernels || (DType == ScalarType.BFloat16 && ComputeDType == ScalarType.BFloat16 && Runtime.DecodeKernels));

    /// <summary>Sets the products of every linear layer in <paramref name="module"/> (this model, an adapter) for this model's compute path.</summary>
    public void UseRuntimeIn(nn.Module module) => Runtime.ApplyTo(module, ComputeDType, Compute.Isa);

    public LlamaModel Decoder => language_model.model;

    /// <summary>Projected image features [B, N, D_text] for preprocessed pixels [B, 3, H, W].</summary>
    public Tensor ImageFeatures(Tensor pixelValues)
    {
        using var scope = NewDisposeScope();
        var h = vision_tower.vision_model.HiddenState(pixelValues.to(ComputeDType, Device), Config.VisionLayersToRun); // [B, 1+N, Dv]
        if (Config.VisionFeatureSelectStrategy == "default") h = h.narrow(1, 1, h.shape[1] - 1);             // drop the class token
        return multi_modal_projector.forward(h).MoveToOuterDisposeScope();                                    // [B, N, Dt]
    }

    /// <summary>Token embeddings with the image features scattered into the image positions.</summary>
    public Tensor InputsEmbeds(LlavaBatch batch, Tensor? imageFeatures)
    {
        using var scope = NewDisposeScope();
        var ids = batch.InputIds.to(Device);
        var isImage = batch.ImageMask.to(Device);
        var embeds = Decoder.embed_tokens.forward(ids.masked_fill(isImage, Scalars.Zero)).to(ComputeDType); // [B, T, D]
        if (imageFeatures is not null)
            embeds = embeds.masked_scatter(isImage.unsqueeze(-1), imageFeatures.to(embeds.dtype));
        return embeds.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Runs the prompt: vision tower, projector, and the decoder with optional pruning, appending to
    /// <paramref name="cache"/> when given. Logits only where asked (the LM head is the costliest
    /// single matrix for short prompts). <paramref name="imageFeatures"/>, when given, are the
    /// projected features of this batch's images from an earlier pass (the tower is not run again).
    /// <paramref name="probe"/> asks every decoder layer for an attention observation (a cache-free pass
    /// without pruning; the decoder output's Observations).
    /// </summary>
    public LlavaForwardResult Forward(LlavaBatch batch, ITokenSelector? selector = null, KvCache? cache = null, LogitsMode logits = LogitsMode.All,
                                      Tensor? imageFeatures = null, AttentionProbe? probe = null)
    {
        using var scope = NewDisposeScope();
        var computed = imageFeatures is null && batch.PixelValues is not null ? ImageFeatures(batch.PixelValues) : null;
        var features = imageFeatures ?? computed;
        var embeds = InputsEmbeds(batch, features);
        var tokens = batch.TokenState(Device);
        var output = Decoder.forward(new DecoderInput(embeds, tokens, cache, selector, probe));
        var result = new LlavaForwardResult(ComputeLogits(output.Hidden, logits), computed?.MoveToOuterDisposeScope() ?? imageFeatures, output.MoveToOuterDisposeScope());
        result.Logits?.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>One decoding step: new token ids [B, 1] at positions [B, 1], on the cache (which knows whether the prompt had padding).</summary>
    public Tensor DecodeStep(Tensor nextIds, Tensor positions, KvCache cache)
    {
        using var scope = NewDisposeScope();
        long B = nextIds.shape[0];
        var embeds = Decoder.embed_tokens.forward(nextIds.to(Device)).to(ComputeDType);
        var tokens = new TokenState
        {
            PositionIds = positions.to(Device),
            Valid = ones([B, 1], ScalarType.Bool, Device),
            ImageIndex = full([B, 1], Scalars.MinusOne, ScalarType.Int64, Device),
            Guide = zeros([B, 1], ScalarType.Bool, Device),
            OriginalIndex = full([B, 1], Scalars.MinusOne, ScalarType.Int64, Device),
            HasPadding = false,
        };
        var output = Decoder.forward(new DecoderInput(embeds, tokens, cache));
        return language_model.Logits(output.Hidden).MoveToOuterDisposeScope(); // [B, 1, V]
    }

    private Tensor? ComputeLogits(Tensor hidden, LogitsMode mode) => mode switch
    {
        LogitsMode.All => language_model.Logits(hidden),
        LogitsMode.Last => language_model.Logits(hidden.narrow(1, hidden.shape[1] - 1, 1)),
        _ => null,
    };

    /// <summary>Sets every parameter's requires_grad.</summary>
    public void SetTrainable(bool trainable)
    {
        foreach (var p in parameters()) p.requires_grad = trainable;
    }
}
