/* commands.h -- the subcommands main() dispatches to. Each takes the argv
 * after the subcommand name (argv[0] is the subcommand) and returns the
 * process exit status. Exit statuses shared by all commands: */
#ifndef CSPROF_COMMANDS_H
#define CSPROF_COMMANDS_H

enum {
    EXIT_USAGE = 64,          /* bad option or argument (EX_USAGE) */
    EXIT_NOINPUT = 66,        /* input file missing or unreadable */
    EXIT_CMD_NOT_FOUND = 127, /* command to profile not found */
    EXIT_CANNOT_EXEC = 126,   /* command found but not executable */
    EXIT_CANTCREAT = 73,      /* output directory not writable */
    EXIT_NO_PID = 65,         /* --pid names no process */
    EXIT_NOPERM = 77,         /* not allowed to read the target */
    EXIT_UNSUPPORTED = 69,    /* unsupported Python version */
    EXIT_SOFTWARE = 70,       /* internal error */
};

int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_ci(int argc, char **argv);
int cmd_history(int argc, char **argv);

#endif
