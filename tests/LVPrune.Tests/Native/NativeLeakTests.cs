using LVPrune.Benchmarking;
using LVPrune.Checkpoints;
using LVPrune.Generation;
using LVPrune.Images;
using LVPrune.Models;
using LVPrune.Pruning;
using LVPrune.Tests.Training;
using LVPrune.Text;
using LVPrune.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Native;

/// <summary>
/// Decode steps, whole generations and training steps leave nothing native to the finalizer thread: every
/// Scalar, Generator and Tensor they create is disposed by its owner or its dispose scope.
/// </summary>
[Collection(NativeStateCollection.Name)] // the census counts finalizations of the whole process
public class NativeLeakTests : IClassFixture<TrainingFixture>
{
    private readonly TrainingFixture _f;
    public NativeLeakTests(TrainingFixture f) => _f = f;

    [Fact]
    public void TheCensus_SeesAnUndisposedScalar()
    {
        using var census = new FinalizerCensus();
        census.Settle(reset: true);
        Leak();
        census.Settle(reset: false);
        Assert.True(census.Count<Scalar>() >= 1, "a Scalar left to the finalizer must be counted, or the other tests prove nothing");

        static void Leak()
        {
            using var x = ones(3);
            using var y = x * 2.5; // 2.5 becomes a Scalar nobody disposes
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32, 0.0)]
    [InlineData(ScalarType.BFloat16, 0.0)]  // decode through the GEMV and attention kernels (where the CPU has AVX2)
    [InlineData(ScalarType.Float32, 0.8)]   // temperature and top-p sampling
    public void DecodeSteps_LeaveNothingToTheFinalizer(ScalarType dtype, double temperature)
    {
        using var model = BenchModels.Random(Config(), dtype);
        using var batch = BenchRunner.DummyBatch(model, 12);
        var options = new GenerationOptions { MaxNewTokens = 40, StopAtEos = false, Temperature = temperature, TopP = 0.9, Seed = 3 };
        using var session = new GenerationSession(model, batch, options, eosId: -1);
        session.Prefill();
        for (int i = 0; i < 3; i++) session.Step(); // first calls size tables and start the kernels' threads
        using var census = new FinalizerCensus();
        census.Settle(reset: true);
        for (int i = 0; i < 30; i++) Assert.True(session.Step());
        census.Settle(reset: false);
        AssertNothingFinalized(census, "30 decode steps");
    }

    /// <summary>Serving's decode loop: rows with their own options and samplers, prefilled apart (one pruned with a
    /// per-row random seed), joined on a realigned cache (padding, so per-layer masks), stepped, one stopped.</summary>
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void ServingSteps_OnJoinedRows_LeaveNothingToTheFinalizer(ScalarType dtype)
    {
        using var model = BenchModels.Random(Config(), dtype);
        using var batch = BenchRunner.DummyBatch(model, 12);
        GenerationOptions Row(double temperature, long seed) => new() { MaxNewTokens = 80, StopAtEos = false, Temperature = temperature, TopP = 0.9, Seed = seed };
        using var random = SelectorFactory.Create(new PruningSpec { Method = PruningMethod.Random, RowSeeds = [7] }, model);
        using var plain = new GenerationSession(model, batch, [Row(0, 0)], eosId: -1);
        using var pruned = new GenerationSession(model, batch, [Row(0.8, 5)], eosId: -1);
        plain.Prefill();
        pruned.Prefill(random);
        using var warm = GenerationSession.Join([(plain, 0), (pruned, 0)]);
        for (int i = 0; i < 3; i++) warm.Step(); // first calls size tables and start the kernels' threads
        using var census = new FinalizerCensus();
        census.Settle(reset: true);
        using (var joined = GenerationSession.Join([(warm, 0), (warm, 1)]))
        {
            for (int i = 0; i < 30; i++) Assert.True(joined.Step());
            joined.Stop(0);
            for (int i = 0; i < 5; i++) Assert.True(joined.Step());
        }
        census.Settle(reset: false);
        AssertNothingFinalized(census, "a join and 35 serving decode steps");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void Generations_WithEveryMethod_LeaveNothingToTheFinalizer(ScalarType dtype)
    {
        using var model = BenchModels.Random(Config(), dtype);
        using var adapter = BenchSuite.RandomAdapter(model, [0.5, 0.3, 0.1]);
        using var batch = BenchRunner.DummyBatch(model, 12);
        var options = new GenerationOptions { MaxNewTokens = 5, StopAtEos = false };
        void GenerateAll()
        {
            foreach (var method in Enum.GetValues<PruningMethod>())
            {
                using var selector = SelectorFactory.Create(new PruningSpec { Method = method, Seed = 1 }, model, adapter);
                LlavaGenerator.Generate(model, batch, options, -1, selector);
            }
        }
        GenerateAll(); // warm-up
        using var census = new FinalizerCensus();
        census.Settle(reset: true);
        GenerateAll();
        census.Settle(reset: false);
        AssertNothingFinalized(census, "a generation with each method");
    }

    [Fact]
    public void AdapterTrainingSteps_LeaveNothingToTheFinalizer()
    {
        using var model = _f.Model();
        var set = _f.Set(model);
        double[] keep = [0.75, 0.5, 0.25];
        using var adapter = LVPruningAdapter.Create(model, keep, seed: 4);
        // Every option on: the teacher pass with its probe, both distillations, the mask-gradient tap.
        var objective = new LVPruningObjective(model, adapter, keep,
            new LVPruningLossOptions { LambdaRatio = 10, LambdaDistill = 1, LambdaAttn = 1, MaskGradClip = 0.01 }, seed: 2);
        AssertTrainingLeavesNothing(objective, set);
    }

    [Fact]
    public void ModelTrainingSteps_WithRemoval_LeaveNothingToTheFinalizer()
    {
        using var model = _f.Model();
        var set = _f.Set(model);
        using var adapter = LVPruningAdapter.Create(model, [0.5, 0.3, 0.1], seed: 4);
        var objective = new LanguageModelObjective(model, removal: new RemovalAugmentation { Share = 0.7 }, removalAdapter: adapter, seed: 3);
        AssertTrainingLeavesNothing(objective, set);
    }

    private static void AssertTrainingLeavesNothing(ITrainingObjective objective, TrainingSet set)
    {
        var options = new TrainerOptions { BatchSize = 2, GradAccum = 2, LearningRate = 1e-3, MaxSteps = 1, SaveEvery = 0, Seed = 5, WeightDecay = 0.01 };
        Trainer.Run(objective, set, options, Directory.CreateTempSubdirectory("lvprune-leak").FullName, false, CancellationToken.None); // warm-up
        using var census = new FinalizerCensus();
        census.Settle(reset: true);
        Trainer.Run(objective, set, options with { MaxSteps = 2 }, Directory.CreateTempSubdirectory("lvprune-leak").FullName, false, CancellationToken.None);
        census.Settle(reset: false);
        AssertNothingFinalized(census, "two training steps");
    }

    /// <summary>The tiny test architecture with head size 16, so the bf16 decode-attention kernel runs.</summary>
    private static LlavaConfig Config()
    {
        var tiny = TinyModels.Config();
        return tiny with { TextConfig = tiny.TextConfig with { HiddenSize = 64 } };
    }

    private static void AssertNothingFinalized(FinalizerCensus census, string what)
    {
        var counts = $"Scalars {census.Count<Scalar>()}, Generators {census.Count<TorchSharp.torch.Generator>()}, Tensors {census.Count<Tensor>()}";
        Assert.True(census.Count<Scalar>() == 0 && census.Count<TorchSharp.torch.Generator>() == 0 && census.Count<Tensor>() == 0,
                    $"{what} left to the finalizer: {counts}");
    }
}
