using System.CommandLine;
using LVPrune.Benchmarks;

namespace LVPrune.Cli.Commands;

/// <summary>`lvprune eval merge`: joins the answer files of a benchmark's shards in question order.</summary>
public static class EvalMergeCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "merged answer file", Required = true };
        var shards = new Argument<string[]>("SHARD.jsonl") { Description = "the shards' answer files", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("merge", "Join shard answer files (eval --benchmark --shard I/N) into one file in question order.") { output, shards };
        cmd.SetAction(r =>
        {
            var result = AnswerMerge.Merge(r.GetValue(shards)!, r.GetValue(output)!);
            CliIO.Err.WriteLine($"{result.Lines} answers -> {r.GetValue(output)}{(result.OrderedByIndex ? " (ordered by question index)" : " (concatenated in the order given)")}");
            return 0;
        });
        return cmd;
    }
}
