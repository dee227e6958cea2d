using LVPrune;
using LVPrune.Cli;

HugePages.Enable(); // before LibTorch's first allocation
return CliApp.Run(args);
