#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/limit_flags.h"
#include "scenario/explain.h"
#include "scenario/scenario.h"
#include "scenario/units.h"
#include "util/err.h"

void sx_cli_help_explain(void)
{
    puts("usage: sigsynth explain [--seed N] [--samples N] FILE\n\n"
         "Prints what the scenario will do: services and their operations with the\n"
         "expected requests/s, the call graph from each entrypoint, the incident\n"
         "timeline with offsets of every phase, and each latency spec's declared and\n"
         "sampled p50/p90/p99/p99.9.\n\n"
         "  --seed N      seed for the sampled percentiles (default: the scenario's)\n"
         "  --samples N   draws per latency spec (default 200000, 0 to skip)\n\n"
         "exit: 0 ok, 2 invalid scenario");
    sx_cli_limits_help("explain");
}

int sx_cmd_explain(int argc, char **argv)
{
    const char *path = NULL;
    uint64_t seed = 0, samples = 200000;
    int seed_set = 0;
    sx_scenario *s = NULL;
    int rc;
    sx_limits lim;

    if ((argc = sx_cli_limit_args(&lim, "explain", argc, argv)) < 0)
        return SX_EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--seed") == 0 || strcmp(argv[i], "--samples") == 0) && i + 1 < argc) {
            uint64_t v;
            if (sx_parse_uint(argv[i + 1], strcmp(argv[i], "--seed") == 0 ? UINT64_MAX / 2
                                                                          : 10000000, &v)) {
                fprintf(stderr, "sigsynth explain: %s needs a whole number, got '%s'\n", argv[i],
                        argv[i + 1]);
                return SX_EXIT_USAGE;
            }
            if (argv[i][2] == 's' && argv[i][3] == 'e') {
                seed = v;
                seed_set = 1;
            } else {
                samples = v;
            }
            i++;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "sigsynth explain: unknown option '%s'\n", argv[i]);
            return SX_EXIT_USAGE;
        } else if (path) {
            fputs("sigsynth explain: one scenario file at a time\n", stderr);
            return SX_EXIT_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        fputs("sigsynth explain: usage: sigsynth explain [--seed N] FILE\n", stderr);
        return SX_EXIT_USAGE;
    }
    if (!(s = sx_cli_load_checked(path, &lim)))
        return SX_EXIT_USAGE;
    if (!seed_set)
        seed = s->seed;
    rc = sx_explain_write(s, seed, (uint32_t)samples, stdout);
    sx_scenario_destroy(s);
    if (rc) {
        fprintf(stderr, "sigsynth explain: %s\n", sx_strerror(rc));
        return SX_EXIT_FAIL;
    }
    return SX_EXIT_OK;
}
