using System.CommandLine;
using LVPrune.Benchmarks;
using LVPrune.Benchmarks.Export;

namespace LVPrune.Cli.Commands;

/// <summary>`lvprune export`: what LLaVA's converters write for submission servers and judges.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var benchmark = ScoreCommand.BenchmarkOption();
        var answers = new Option<string>("--answers") { Description = "answer jsonl", Required = true };
        var questions = new Option<string>("--questions") { Description = "question file (vqav2, vizwiz: LLaVA's jsonl; mmbench: the TSV)" };
        var output = new Option<string>("--out") { Description = "the file to write (JSON, or .xlsx for MMBench)", Required = true };
        var cmd = new Command("export", "Write the EvalAI / GQA / MMBench / MM-Vet submission file LLaVA's converters write.") { benchmark, answers, questions, output };
        cmd.SetAction(r =>
        {
            foreach (string w in BenchmarkExport.Write(Benchmark.Parse(r.GetValue(benchmark)!), r.GetValue(answers)!, r.GetValue(questions), r.GetValue(output)!))
                CliIO.Err.WriteLine(w);
            CliIO.Err.WriteLine($"wrote {r.GetValue(output)}");
            return 0;
        });
        return cmd;
    }
}
