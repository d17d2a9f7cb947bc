/* sigsynth: diagnostics for user input.
 *
 * The loader reports every problem it finds, not just the first, so users fix
 * a file in one pass. Each diagnostic keeps its line and column; printing
 * sorts them by position so the output reads top to bottom like the file. */
#ifndef SX_DIAG_H
#define SX_DIAG_H

#include <stdint.h>
#include <stdio.h>

enum sx_severity { SX_SEV_ERROR = 0, SX_SEV_WARNING = 1 };

typedef struct sx_diag_item {
    enum sx_severity sev;
    uint32_t line;      /* 1-based; 0 = the file as a whole */
    uint32_t col;       /* 1-based */
    uint32_t seq;       /* insertion order, keeps the sort stable */
    char *msg;
} sx_diag_item;

typedef struct sx_diag {
    const char *file;   /* borrowed: the name printed before each line */
    sx_diag_item *items;
    uint32_t n;
    uint32_t cap;
    uint32_t nerrors;
    uint32_t nwarnings;
    uint32_t max_items; /* beyond this, problems are counted, not stored */
    uint32_t suppressed;
} sx_diag;

void sx_diag_init(sx_diag *d, const char *file);
void sx_diag_fini(sx_diag *d);

#if defined(__GNUC__)
#define SX_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SX_PRINTF(a, b)
#endif

void sx_diag_error(sx_diag *d, uint32_t line, uint32_t col, const char *fmt, ...) SX_PRINTF(4, 5);
void sx_diag_warn(sx_diag *d, uint32_t line, uint32_t col, const char *fmt, ...) SX_PRINTF(4, 5);

/* Sorts by position and prints "file:line:col: error: msg" lines. */
void sx_diag_print(sx_diag *d, FILE *out);

#endif
