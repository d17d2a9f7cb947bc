/* sigsynth: command-line entry points. Only cli/ may exit() or print usage. */
#ifndef SX_CLI_H
#define SX_CLI_H

/* Exit codes shared by every command. */
enum {
    SX_EXIT_OK = 0,
    SX_EXIT_FAIL = 1,       /* the command ran and found a failure (e.g. an expectation) */
    SX_EXIT_USAGE = 2,      /* bad input: flags, scenario file, rule file */
};

int sx_cmd_lint(int argc, char **argv);
int sx_cmd_explain(int argc, char **argv);
int sx_cmd_run(int argc, char **argv);
int sx_cmd_check(int argc, char **argv);
int sx_cmd_verify(int argc, char **argv);

void sx_cli_help_lint(void);
void sx_cli_help_explain(void);
void sx_cli_help_run(void);
void sx_cli_help_check(void);
void sx_cli_help_verify(void);

#endif
