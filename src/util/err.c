#include "util/err.h"

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
