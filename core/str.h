/* str.h: small NUL-terminated string helpers shared by every module. */
#ifndef HOOKD_STR_H
#define HOOKD_STR_H

/* strdup that maps NULL to NULL (and NULL on out of memory); the caller frees the copy. */
char *str_dup(const char *s);

#endif
