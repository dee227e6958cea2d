using LVPrune.Cli;

return CliApp.Run(args);
