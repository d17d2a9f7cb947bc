#include "util/err.h"

#include <stdatomic.h>

const char *sx_strerror(int rc)
{
    switch (rc) {
    case SX_OK: return "success";
    case SX_EINVAL: return "invalid argument";
    case SX_ENOMEM: return "out of memory";
    case SX_EIO: return "input/output error";
    case SX_ERANGE: return "value out of range";
    case SX_ENOENT: return "not found";
    case SX_ELIMIT: return "limit exceeded";
    case SX_ESYNTAX: return "syntax error";
    default: return "unknown error";
    }
}

static _Atomic int tty_line;

const char *sx_stderr_clear(void)
{
    return atomic_load(&tty_line) ? "\r\033[K" : "";
}

void sx_stderr_set_tty_line(int on)
{
    atomic_store(&tty_line, on);
}
