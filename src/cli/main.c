#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "scenario/scenario.h"

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    void (*help)(void);
};

static const struct command commands[] = {
    { "lint", "validate scenario files; every problem as FILE:LINE:COL: error: ...",
      sx_cmd_lint, sx_cli_help_lint },
    { "run", "simulate the scenario: spans, logs and metrics to OTLP JSON files", sx_cmd_run,
      sx_cli_help_run },
    { "check", "offline alert validation: promtool evaluates your rules over the scenario's "
               "series; verdicts on expect:", sx_cmd_check, sx_cli_help_check },
    { "verify", "live alert validation against Prometheus and Alertmanager, with measured "
                "time-to-fire", sx_cmd_verify, sx_cli_help_verify },
    { "explain", "show what a scenario will do: services, calls, rates, incident timeline, "
                 "latencies", sx_cmd_explain, sx_cli_help_explain },
};

static void usage(FILE *out)
{
    fputs("sigsynth " SX_VERSION " - synthetic, correlated spans, logs and metrics to prove\n"
          "alert rules, dashboards and runbooks work before an incident does.\n\n"
          "usage: sigsynth COMMAND [ARGS...]\n\ncommands:\n", out);
    for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fputs("  help      show help for a command: sigsynth help COMMAND\n\n"
          "options:\n  --help     this text\n  --version  print the version\n\n"
          "exit codes: 0 ok, 1 a check failed, 2 bad input (flags or files),\n"
          "            130/143 run interrupted by SIGINT/SIGTERM (Ctrl-C)\n"
          "docs: docs/scenario-format.md, docs/latency-model.md\n", out);
}

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    const struct command *cmd;

    if (argc < 2) {
        usage(stderr);
        return SX_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return SX_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("sigsynth %s\n", SX_VERSION);
        return SX_EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return SX_EXIT_OK;
        }
        if (!(cmd = find(argv[2]))) {
            fprintf(stderr, "sigsynth: no command '%s'; see 'sigsynth --help'\n", argv[2]);
            return SX_EXIT_USAGE;
        }
        cmd->help();
        return SX_EXIT_OK;
    }
    if (!(cmd = find(argv[1]))) {
        fprintf(stderr, "sigsynth: unknown command '%s'; see 'sigsynth --help'\n", argv[1]);
        return SX_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cmd->help();
            return SX_EXIT_OK;
        }
    }
    return cmd->run(argc - 1, argv + 1);
}
