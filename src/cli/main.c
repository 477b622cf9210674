/* main.c -- csprof's entry point: picks the subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "version.h"

static const char usage[] =
    "usage: csprof <command> [options]\n"
    "\n"
    "commands:\n"
    "  record   run a command (or attach to --pid) and sample its Python stacks\n"
    "  report   render a saved profile JSON again (svg, md, text, speedscope, pprof, folded)\n"
    "  diff     compare two profiles: what got slower or faster\n"
    "  ci       profile the scripts an Action run lists and write the job summary\n"
    "  history  chart a script's wall time over the runs the Action kept\n"
    "\n"
    "  csprof <command> --help   shows that command's options\n"
    "  csprof --version          prints the version and the commit it was built from\n";

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("csprof %s (commit %s)\n", CSPROF_VERSION, CSPROF_COMMIT);
        return 0;
    }
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "record")) return cmd_record(argc - 1, argv + 1);
    if (!strcmp(cmd, "report")) return cmd_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "diff")) return cmd_diff(argc - 1, argv + 1);
    if (!strcmp(cmd, "ci")) return cmd_ci(argc - 1, argv + 1);
    if (!strcmp(cmd, "history")) return cmd_history(argc - 1, argv + 1);
    fprintf(stderr, "csprof: unknown command '%s' (try: csprof --help)\n", cmd);
    return EXIT_USAGE;
}
