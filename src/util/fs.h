/* sigsynth: small file-system helpers. */
#ifndef SX_FS_H
#define SX_FS_H

/* mkdir -p: creates dir and its missing parents; 0 or -1 with errno. */
int sx_mkdir_p(const char *dir);

#endif
