/* What the configuration fuzz targets (fuzz_config.c, fuzz_expand.c) share:
 * a secret in the environment (KM_FUZZ_SECRET) and in a file
 * (FUZZ_SECRET_FILE), set up by LLVMFuzzerInitialize, and the check of
 * a refusal: it says where and why and does not show the secret. */
#ifndef KM_FUZZ_SECRET_H
#define KM_FUZZ_SECRET_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The secret's text: no seed holds it, so a message that shows it took it
 * from a reference. */
#define FUZZ_SECRET      "s3cr3t-Zq8vW1xK"
#define FUZZ_SECRET_FILE "/tmp/kmirror-fuzz-secret"

/* Puts the secret in the environment and in FUZZ_SECRET_FILE (written
 * whole under another name first: targets run side by side). */
static inline void fuzz_secret_init(void) {
	char tmp[64];
	FILE *f;

	if (setenv("KM_FUZZ_SECRET", FUZZ_SECRET, 1))
		abort();
	snprintf(tmp, sizeof(tmp), "%s.%ld", FUZZ_SECRET_FILE, (long)getpid());
	if (!(f = fopen(tmp, "w")) || fputs(FUZZ_SECRET "\n", f) == EOF || fclose(f) ||
	    rename(tmp, FUZZ_SECRET_FILE))
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each target that includes this file has the secret set up at start. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
	(void)argc;
	(void)argv;
	fuzz_secret_init();
	return 0;
}

/* Aborts (a crash for libFuzzer) when refusal @p msg of input @p in
 * (@p len bytes) does not say where ("<fuzz>:...") and why, or shows the
 * secret although the input does not hold it. */
static inline void fuzz_refusal_check(const char *msg, const uint8_t *in, size_t len) {
	if (strncmp(msg, "<fuzz>", 6) || strlen(msg) < 10) {
		fprintf(stderr, "refusal without a position or a reason: '%s'\n", msg);
		abort();
	}
	if (strstr(msg, FUZZ_SECRET) && !memmem(in, len, FUZZ_SECRET, strlen(FUZZ_SECRET))) {
		fprintf(stderr, "a message shows the secret: %s\n", msg);
		abort();
	}
}

#endif
