/* sigsynth: error codes shared by every module.
 *
 * Functions return 0 on success or one of these negative codes; the human
 * message travels separately (sx_diag for scenario problems), so a caller can
 * branch on the code without parsing text. */
#ifndef SX_ERR_H
#define SX_ERR_H

enum sx_err {
    SX_OK = 0,
    SX_EINVAL = -1,   /* bad argument or bad input data */
    SX_ENOMEM = -2,   /* allocation failed */
    SX_EIO = -3,      /* read/write failed */
    SX_ERANGE = -4,   /* value out of its allowed range */
    SX_ENOENT = -5,   /* named thing does not exist */
    SX_ELIMIT = -6,   /* a configured limit was hit (size, depth, count) */
    SX_ESYNTAX = -7,  /* input could not be parsed */
};

const char *sx_strerror(int rc);

/* "\r\033[K" while a progress line is drawn on a terminal, else "": lines
 * that other threads print to stderr start with it, so they do not end up
 * glued to the progress line (which redraws itself on its next tick). */
const char *sx_stderr_clear(void);
void sx_stderr_set_tty_line(int on);

#endif
