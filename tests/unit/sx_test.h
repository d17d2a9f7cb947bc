/* Shared cmocka includes and helpers for sigsynth's unit tests. */
#ifndef SX_TEST_H
#define SX_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

/* cmocka 1.1 has no double assertion; this one prints both values. */
#define assert_near(a, b, eps)                                                              \
    do {                                                                                    \
        double sx_a_ = (a), sx_b_ = (b);                                                    \
        if (!(fabs(sx_a_ - sx_b_) <= (eps)))                                                \
            fail_msg("%s = %.17g, expected %.17g (+- %g)", #a, sx_a_, sx_b_, (double)(eps)); \
    } while (0)

#endif
