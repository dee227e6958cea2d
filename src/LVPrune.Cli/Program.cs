using LVPrune;
using LVPrune.Cli;
using LVPrune.Distributed;

HugePages.Enable(); // before LibTorch's first allocation
// Open MPI hands every rank a pseudo-terminal as standard output, even when mpirun's own output goes to
// a file; .NET would write terminal set-up codes into it (keypad mode) ahead of --json output.
if (MpiLaunch.Detect() is not null) Environment.SetEnvironmentVariable("TERM", "dumb");
int code = CliApp.Run(args);
ProcessGroup.Shutdown(); // MPI_Finalize, when a command joined an MPI job
return code;
