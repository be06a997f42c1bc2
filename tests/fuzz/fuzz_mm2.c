/* libFuzzer target for one of MirrorMaker 2's record formats
 * (core/mm2_codec.c), chosen at build time: -DFUZZ_CODEC=offset_sync,
 * checkpoint or heartbeat (tests/fuzz/local.mk builds one target each).
 *
 * An input is one selector byte, whose lowest bit picks the key (0) or the
 * value (1), then the bytes to decode. A refusal must say why. What decodes
 * must encode back to exactly the same bytes, into a buffer of exactly
 * their length, and a buffer one byte shorter must be refused with the
 * length needed. Any difference aborts, which libFuzzer reports as a
 * crash. The seeds in tests/fuzz/corpus/<codec>/ are the examples of
 * MM2's formats that tests/unit/test_mm2_codec.c checks byte for byte. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mm2_codec.h"

#ifndef FUZZ_CODEC
#error "build with -DFUZZ_CODEC=offset_sync, checkpoint or heartbeat"
#endif

#define CAT3(a, b, c)  a##b##c
#define XCAT3(a, b, c) CAT3(a, b, c)
#define CODEC_FN(part) XCAT3(km_mm2_, FUZZ_CODEC, part)

typedef XCAT3(km_mm2_, FUZZ_CODEC, _t) rec_t;
typedef km_err_t(encode_fn)(const rec_t *rec, void *buf, size_t size, size_t *lenp, char *errstr,
                            size_t errstr_size);
typedef km_err_t(decode_fn)(rec_t *rec, const void *buf, size_t len, char *errstr,
                            size_t errstr_size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(encode_fn *encode, decode_fn *decode, const uint8_t *in, size_t len) {
	rec_t rec;
	char err[256] = "";
	size_t n = 0;
	unsigned char *out;
	km_err_t got = decode(&rec, in, len, err, sizeof(err));

	if (got != decode(&rec, in, len, NULL, 0))
		abort();
	if (got != KM_OK) {
		if (got != KM_ERR_INVALID || !err[0])
			abort();
		return;
	}
	/* the exact length: ASan sees a write past it */
	if (!(out = malloc(len)))
		abort();
	if (encode(&rec, out, len, &n, err, sizeof(err)) != KM_OK || n != len ||
	    memcmp(out, in, len) != 0)
		abort();
	n = 0;
	if (encode(&rec, out, len - 1, &n, err, sizeof(err)) != KM_ERR_NOMEM || n != len)
		abort();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	if (size == 0)
		return 0;
	if (data[0] & 1)
		round_trip(CODEC_FN(_value_encode), CODEC_FN(_value_decode), data + 1, size - 1);
	else
		round_trip(CODEC_FN(_key_encode), CODEC_FN(_key_decode), data + 1, size - 1);
	return 0;
}
