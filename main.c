/* main.c: hookd's command line; parses arguments and wires the modules together. */
#include <stdio.h>

int main(void)
{
	puts("hookd: under construction");
	return 0;
}
