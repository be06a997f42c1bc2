/* kmirrorctl: the control tool for a running kmirrord (entry point). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
	if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		printf("kmirrorctl %s\n", PACKAGE_VERSION);
		return EXIT_SUCCESS;
	}
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: kmirrorctl [--version] [--help]\n"
		       "Controls a running kmirrord.\n");
		return EXIT_SUCCESS;
	}
	fprintf(stderr, "kmirrorctl: no commands exist yet in this version "
	                "(only --version and --help work)\n");
	return EXIT_FAILURE;
}
