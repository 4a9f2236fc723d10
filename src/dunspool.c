/*
 * dunspool.c -- the operator CLI.
 */
#include <stdlib.h>

int
main (void)
{
	return EXIT_FAILURE;
}
