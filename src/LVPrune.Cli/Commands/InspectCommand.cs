using System.CommandLine;
using System.Text.Json;
using LVPrune.Checkpoints;

namespace LVPrune.Cli.Commands;

/// <summary>`lvprune inspect`: configuration, parameter count, dtype and memory of a checkpoint, without loading weights.</summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var json = CommonOptions.Json();
        var cmd = new Command("inspect", "Show a checkpoint's configuration, parameter count, dtypes and memory needs.") { model, json };
        cmd.SetAction(r =>
        {
            var info = CheckpointInfo.Read(CommonOptions.ResolveModel(r.GetValue(model)));
            if (r.GetValue(json)) CliIO.Out.WriteLine(JsonSerializer.Serialize(info, new JsonSerializerOptions { WriteIndented = true }));
            else CliIO.Out.Write(info.ToText());
            return 0;
        });
        return cmd;
    }
}
