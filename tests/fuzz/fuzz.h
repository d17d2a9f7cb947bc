/* What every libFuzzer harness shares. Each harness is built two ways:
 * with -fsanitize=fuzzer (clang, SX_FUZZ=ON) and, in every build, with
 * replay_main.c, which feeds it the seed corpus and the regression inputs. */
#ifndef SX_FUZZ_H
#define SX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (the parsers under test take C
 * strings), cut at max bytes; NULL when out of memory. */
static inline char *sx_fuzz_cstr(const uint8_t *data, size_t size, size_t max)
{
    size_t n = size < max ? size : max;
    char *s = malloc(n + 1);

    if (s) {
        if (n)
            memcpy(s, data, n);
        s[n] = '\0';
    }
    return s;
}

#endif
