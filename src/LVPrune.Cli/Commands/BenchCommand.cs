using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LVPrune.Benchmarking;
using LVPrune.Checkpoints;
using LVPrune.Models;
using LVPrune.Pruning;
using static TorchSharp.torch;

namespace LVPrune.Cli.Commands;

/// <summary>`lvprune bench`: time to first token, decode speed, memory and achieved GFLOP/s, per method and budget.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = "llava-1.5-7b or toy: the architecture with cheaply filled random weights" }.AcceptOnlyFromAmong("llava-1.5-7b", "toy");
        var model = new Option<string>("--model") { Description = "a model folder instead of a preset" };
        var dtype = CommonOptions.DType();
        var compute = CommonOptions.Compute();
        var quantize = CommonOptions.Quantize();
        var layers = new Option<int?>("--layers") { Description = "decoder layers of the preset (fewer than its own: per-layer times at the real width on a small machine)" };
        var method = new Option<string>("--method") { Description = "comma-separated: none, lvpruning, random, fastv (no pruning is always measured as the baseline)", DefaultValueFactory = _ => "none" };
        var rho = new Option<string>("--rho") { Description = "comma-separated R values: keep [R, R-0.2, R-0.4]" };
        var keep = PruningOptions.KeepOption();
        var adapter = new Option<string>("--adapter") { Description = "a trained adapter (default for lvpruning: random decision modules, fine for timing)" };
        var text = new Option<int>("--text-tokens") { Description = "text tokens beside the image", DefaultValueFactory = _ => 30 };
        var newTokens = new Option<int>("--new-tokens") { Description = "tokens generated per run", DefaultValueFactory = _ => 8 };
        var repeat = new Option<int>("--repeat") { Description = "measured runs per configuration (medians reported)", DefaultValueFactory = _ => 3 };
        var fastvK = new Option<int>("--fastv-k") { Description = "FastV's K", DefaultValueFactory = _ => 2 };
        var fastvShare = new Option<double?>("--fastv-keep") { Description = "FastV's kept share (default: the share matching LVPruning's TFLOPs at each budget, else 0.5)" };
        var kernel = new Option<string>("--decode-kernel") { Description = "bf16 decode on the CPU: lvprune (own GEMV and KV-cache attention kernels) or libtorch", DefaultValueFactory = _ => "lvprune" }.AcceptOnlyFromAmong("lvprune", "libtorch");
        var json = CommonOptions.Json();
        var cmd = new Command("bench", "Measure speed and memory at a model's real shape, with and without pruning.")
        {
            preset, model, dtype, compute, quantize, layers, method, rho, keep, adapter, text, newTokens, repeat, fastvK, fastvShare, kernel, json,
        };
        cmd.SetAction(r =>
        {
            if ((r.GetValue(preset) is null) == (r.GetValue(model) is null)) throw new LVPruneException("give exactly one of --preset NAME or --model DIR");
            var methods = PruningMethods.ParseList(r.GetValue(method)!, "--method");
            var budgets = Budgets(r.GetValue(keep), r.GetValue(rho));
            if (r.GetValue(repeat) < 1) throw new LVPruneException("--repeat must be >= 1");
            if (r.GetValue(text) < 1) throw new LVPruneException("--text-tokens must be >= 1");
            var config = r.GetValue(model) is { } folder ? LlavaConfig.Load(folder) : ModelPresets.ByName(r.GetValue(preset)!);
            if (r.GetValue(layers) is { } n)
            {
                if (r.GetValue(model) is not null) throw new LVPruneException("--layers applies to a --preset, not to a --model folder");
                if (n < 1 || n > config.TextConfig.NumHiddenLayers) throw new LVPruneException($"--layers must be 1..{config.TextConfig.NumHiddenLayers}");
                config = config with { TextConfig = config.TextConfig with { NumHiddenLayers = n } };
            }
            var scalar = WeightDType.Resolve(r.GetValue(dtype), config);
            string dtypeName = WeightDType.Name(scalar);
            var log = CliIO.Err;
            var runtime = CommonOptions.Runtime(r.GetValue(compute), r.GetValue(quantize), r.GetValue(kernel) == "lvprune" ? RuntimeOptions.Default : RuntimeOptions.LibTorchOnly);
            bool int8 = runtime.Quantize is not null || (r.GetValue(model) is { } m8 && CheckpointInfo.Read(m8).DTypes.ContainsKey("I8"));
            var (choice, computeDType) = runtime.ResolveCompute(scalar, int8, CPU);
            log.WriteLine($"machine: {Environment.ProcessorCount} cores, {get_num_threads()} torch threads, {LVPrune.Kernels.CpuFeatures.Current}; compute {WeightDType.Name(computeDType)} ({choice.Reason}); measuring throughput...");
            double matmul = MatmulProbe.BestGflops(choice with { Path = computeDType == ScalarType.BFloat16 ? LVPrune.Kernels.ComputePath.Bf16 : LVPrune.Kernels.ComputePath.Fp32 });
            double torchRead = MachineProbe.ReadBandwidthGbs(), streamRead = MachineProbe.StreamReadGbs();
            double bandwidth = Math.Max(torchRead, streamRead); // the decode bound takes the faster read
            double gemvTorch = MachineProbe.GemvGbs(libTorch: true), gemvOurs = MachineProbe.GemvGbs(libTorch: false);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  best {WeightDType.Name(computeDType)}-compute matmul: {matmul:F0} GFLOP/s; memory read: {bandwidth:F1} GB/s (LibTorch sum {torchRead:F1}, stream {streamRead:F1})"));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  bf16 GEMV 1x4096 @ 4096x11008: LibTorch {gemvTorch:F1} GB/s, LVPrune kernel {gemvOurs:F1} GB/s{(Bf16Gemv.Supported ? "" : " (no AVX2: LibTorch used)")}"));
            var sw = System.Diagnostics.Stopwatch.StartNew();
            using var m = r.GetValue(model) is { } dir ? ModelLoader.Load(dir, scalar, null, log, runtime) : BenchModels.Random(config, scalar, runtime: runtime);
            bool ownKernels = m.DecodesThroughKernels;
            log.WriteLine($"decode kernels: {(ownKernels ? (m.DecodesOnFp32Kernels ? $"LVPrune {m.WeightKind} GEMV, fp32 attention" : "LVPrune bf16 GEMV and attention") : "LibTorch")}");
            log.WriteLine($"model ready in {sw.Elapsed.TotalSeconds:F1}s ({ModelLoader.ParameterCount(m) / 1e9:F2}B parameters, {ProcessMemory.CurrentGb:F1} GB resident)");
            var result = BenchSuite.Run(m, methods, budgets, r.GetValue(adapter), r.GetValue(fastvK), r.GetValue(fastvShare), r.GetValue(text),
                                        r.GetValue(newTokens), r.GetValue(repeat), s => log.WriteLine(s));
            double decodeBound = 1000 * BenchRunner.DecodeBytesPerToken(m) / 1e9 / bandwidth;
            result = result.Select(run => run with { DecodeBoundMs = decodeBound }).ToList();
            // The table goes to standard output, or to standard error beside --json's output.
            var o = r.GetValue(json) ? CliIO.Err : CliIO.Out;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"compute {WeightDType.Name(m.ComputeDType)}, {m.WeightKind} weights ({m.Compute.Reason}); machine: {matmul:F0} GFLOP/s {WeightDType.Name(m.ComputeDType)}-compute matmul, {bandwidth:F1} GB/s read; decode bound {decodeBound:F0} ms/token; bf16 GEMV {gemvOurs:F1} GB/s (LibTorch {gemvTorch:F1})"));
            o.WriteLine($"{"method",-10} {"keep",-16} {"TFLOPs",7} {"TTFT s",8} {"speed-up",8} {"GFLOP/s",8} {"%matmul",7} {"vision s",8} {"decode ms/tok",13} {"peak GB",7}");
            foreach (var run in result)
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{run.Method,-10} {(run.Keep is null ? "-" : string.Join("/", run.Keep)),-16} {run.Tflops,7:F3} {run.TtftS,8:F3} {run.Speedup,7:F2}x {run.GflopsPerS,8:F0} {100 * run.GflopsPerS / matmul,6:F0}% {run.VisionS,8:F3} {run.DecodeMsPerToken,13:F1} {run.PeakRssGb,7:F1}"));
            if (r.GetValue(json))
            {
                CliIO.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["runs"] = result,
                    ["machine"] = new Dictionary<string, object>
                    {
                        ["cores"] = Environment.ProcessorCount, ["threads"] = get_num_threads(), ["dtype"] = dtypeName,
                        ["cpu"] = LVPrune.Kernels.CpuFeatures.Current.ToString(), ["compute_dtype"] = WeightDType.Name(m.ComputeDType),
                        ["weight_dtype"] = m.WeightKind, ["compute_reason"] = m.Compute.Reason,
                        ["matmul_gflops"] = matmul, ["read_gb_per_s"] = bandwidth, ["decode_bound_ms_per_token"] = decodeBound,
                        ["read_gb_per_s_libtorch_sum"] = torchRead, ["read_gb_per_s_stream"] = streamRead,
                        ["gemv_gb_per_s_libtorch"] = gemvTorch, ["gemv_gb_per_s_lvprune"] = gemvOurs,
                        ["decode_kernel"] = ownKernels ? "lvprune" : "libtorch",
                    },
                }));
                return 0;
            }
            return 0;
        });
        return cmd;
    }

    private static List<double[]> Budgets(string? keep, string? rho)
    {
        if (keep is not null && rho is not null) throw new LVPruneException("give --keep or --rho, not both");
        if (keep is not null) return [KeepRatios.Parse(keep)];
        if (rho is null) return [KeepRatios.FromRho(0.5)];
        return rho.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                  .Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? KeepRatios.FromRho(v) : throw new LVPruneException($"--rho: '{s}' is not a number"))
                  .ToList();
    }
}
