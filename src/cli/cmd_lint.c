#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/limit_flags.h"
#include "scenario/scenario.h"
#include "util/err.h"

void sx_cli_help_lint(void)
{
    puts("usage: sigsynth lint [--quiet] FILE...\n\n"
         "Checks each scenario file completely and prints every problem, sorted by\n"
         "position, as FILE:LINE:COL: error: message (warnings likewise).\n\n"
         "  --quiet, -q   print nothing for valid files\n"
         "  --werror      treat warnings as errors\n\n"
         "exit: 0 all files valid, 2 any file invalid or unreadable");
    sx_cli_limits_help("lint");
}

int sx_cmd_lint(int argc, char **argv)
{
    int quiet = 0, werror = 0, nfiles = 0, bad = 0;
    sx_limits lim;

    if ((argc = sx_cli_limit_args(&lim, "lint", argc, argv)) < 0)
        return SX_EXIT_USAGE;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0)
            quiet = 1;
        else if (strcmp(argv[i], "--werror") == 0)
            werror = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "sigsynth lint: unknown option '%s'\n", argv[i]);
            return SX_EXIT_USAGE;
        }
    }
    for (int i = 1; i < argc; i++) {
        sx_scenario *s = NULL;
        sx_diag d;
        const char *path = argv[i];

        if (path[0] == '-' && path[1] != '\0')
            continue;
        nfiles++;
        sx_diag_init(&d, path);
        int rc = sx_cli_load_limited(path, &lim, &s, &d);
        sx_diag_print(&d, stderr);
        if (rc || (werror && d.nwarnings))
            bad++;
        else if (!quiet)
            printf("%s: ok (%u services, %u incidents, %u expectations%s)\n", path, s->nservices,
                   s->nincidents, s->nexpects, d.nwarnings ? ", with warnings" : "");
        if (rc == SX_ENOMEM)
            fprintf(stderr, "%s: error: out of memory\n", path);
        sx_scenario_destroy(s);
        sx_diag_fini(&d);
    }
    if (!nfiles) {
        fputs("sigsynth lint: no files given; usage: sigsynth lint FILE...\n", stderr);
        return SX_EXIT_USAGE;
    }
    return bad ? SX_EXIT_USAGE : SX_EXIT_OK;
}
