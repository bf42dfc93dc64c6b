/* str.c: small NUL-terminated string helpers shared by every module. */
#include "core/str.h"

#include <stdlib.h>
#include <string.h>

char *str_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}
