/* Unit tests of MirrorMaker 2's record formats (core/mm2_codec.c): the
 * golden bytes of MM2's offset syncs, checkpoints and heartbeats in both
 * directions, round trips, buffers too small, and every kind of malformed
 * input with the error it gets. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mm2_codec.h"

/* Bytes given inline: a pointer and a length. */
#define BYTES(...)                                                                                 \
	(const unsigned char[]){__VA_ARGS__}, sizeof((const unsigned char[]){__VA_ARGS__})
/* A string field from a literal (which may hold NUL bytes). */
#define S(lit)                                                                                     \
	(km_mm2_str_t) {                                                                           \
		lit, sizeof(lit) - 1                                                               \
	}

typedef union anyrec {
	km_mm2_offset_sync_t os;
	km_mm2_checkpoint_t cp;
	km_mm2_heartbeat_t hb;
} anyrec_t;

/* One key or value format, reached through the same two signatures. */
typedef struct codec {
	km_err_t (*encode)(const anyrec_t *rec, void *buf, size_t size, size_t *lenp, char *errstr,
	                   size_t errstr_size);
	km_err_t (*decode)(anyrec_t *rec, const void *buf, size_t len, char *errstr,
	                   size_t errstr_size);
} codec_t;

#define CODEC(name, member)                                                                        \
	static km_err_t enc_##name(const anyrec_t *rec, void *buf, size_t size, size_t *lenp,      \
	                           char *errstr, size_t errstr_size) {                             \
		return km_mm2_##name##_encode(&rec->member, buf, size, lenp, errstr, errstr_size); \
	}                                                                                          \
	static km_err_t dec_##name(anyrec_t *rec, const void *buf, size_t len, char *errstr,       \
	                           size_t errstr_size) {                                           \
		return km_mm2_##name##_decode(&rec->member, buf, len, errstr, errstr_size);        \
	}                                                                                          \
	static const codec_t name = {enc_##name, dec_##name};

CODEC(offset_sync_key, os)
CODEC(offset_sync_value, os)
CODEC(checkpoint_key, cp)
CODEC(checkpoint_value, cp)
CODEC(heartbeat_key, hb)
CODEC(heartbeat_value, hb)

/* @p s holds @p want and points into [in, in + len): borrowed, not copied. */
static void assert_str_in(km_mm2_str_t s, const char *want, const unsigned char *in, size_t len) {
	assert_int_equal(s.len, strlen(want));
	assert_memory_equal(s.str, want, s.len);
	assert_true((const unsigned char *)s.str >= in);
	assert_true((const unsigned char *)s.str + s.len <= in + len);
}

/* @p rec encodes to exactly @p want; every smaller buffer is refused with
 * the length needed and left untouched; @p want decodes and encodes back to
 * itself; every truncation of it and @p want with one more byte are
 * refused. */
static void check_both_ways(const codec_t *c, const anyrec_t *rec, const unsigned char *want,
                            size_t want_len) {
	unsigned char buf[128], *in;
	char err[256];
	size_t len = 0;
	anyrec_t back;

	assert_true(want_len < sizeof(buf));
	assert_int_equal(c->encode(rec, buf, sizeof(buf), &len, err, sizeof(err)), KM_OK);
	assert_int_equal(len, want_len);
	assert_memory_equal(buf, want, want_len);

	for (size_t size = 0; size < want_len; size++) {
		memset(buf, 0xa5, sizeof(buf));
		len = 0;
		assert_int_equal(c->encode(rec, buf, size, &len, err, sizeof(err)), KM_ERR_NOMEM);
		assert_int_equal(len, want_len);
		assert_non_null(strstr(err, "the buffer has"));
		for (size_t i = 0; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0xa5);
	}
	assert_int_equal(c->encode(rec, NULL, 0, &len, NULL, 0), KM_ERR_NOMEM);
	assert_int_equal(len, want_len);

	/* a heap copy of the exact size: valgrind and ASan see any overread */
	in = malloc(want_len + 1);
	assert_non_null(in);
	memcpy(in, want, want_len);
	memset(&back, 0, sizeof(back));
	assert_int_equal(c->decode(&back, in, want_len, err, sizeof(err)), KM_OK);
	assert_int_equal(c->encode(&back, buf, sizeof(buf), &len, err, sizeof(err)), KM_OK);
	assert_int_equal(len, want_len);
	assert_memory_equal(buf, want, want_len);
	for (size_t cut = 0; cut < want_len; cut++) {
		unsigned char *part = malloc(cut ? cut : 1);

		assert_non_null(part);
		memcpy(part, want, cut);
		err[0] = '\0';
		assert_int_equal(c->decode(&back, part, cut, err, sizeof(err)), KM_ERR_INVALID);
		assert_true(strstr(err, "too short") || strstr(err, "runs past the end"));
		free(part);
	}
	in[want_len] = 0;
	assert_int_equal(c->decode(&back, in, want_len + 1, err, sizeof(err)), KM_ERR_INVALID);
	assert_non_null(strstr(err, "1 byte after its end"));
	free(in);
}

/* Decoding @p in is refused with exactly @p want. */
static void check_refused(const codec_t *c, const unsigned char *in, size_t len, const char *want) {
	char err[256] = "";
	anyrec_t rec;
	unsigned char *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, in, len);
	assert_int_equal(c->decode(&rec, copy, len, err, sizeof(err)), KM_ERR_INVALID);
	assert_string_equal(err, want);
	/* without a place for the message: the same answer */
	assert_int_equal(c->decode(&rec, copy, len, NULL, 0), KM_ERR_INVALID);
	free(copy);
}

/* Encoding @p rec is refused with KM_ERR_INVALID and exactly @p want. */
static void check_enc_refused(const codec_t *c, const anyrec_t *rec, const char *want) {
	unsigned char buf[64];
	char err[256] = "";
	size_t len = 0;

	assert_int_equal(c->encode(rec, buf, sizeof(buf), &len, err, sizeof(err)), KM_ERR_INVALID);
	assert_string_equal(err, want);
}

/* MM2's example: topic t, partition 0, upstream 5, downstream 7. */
static void test_offset_sync_golden(void **state) {
	const anyrec_t rec = {.os = {S("t"), 0, 5, 7}};
	static const unsigned char key[] = {0x00, 0x01, 0x74, 0x00, 0x00, 0x00, 0x00};
	static const unsigned char val[] = {0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 7};
	km_mm2_offset_sync_t os = {S("untouched"), 9, 9, 9};
	char err[128];

	(void)state;
	check_both_ways(&offset_sync_key, &rec, key, sizeof(key));
	check_both_ways(&offset_sync_value, &rec, val, sizeof(val));
	assert_int_equal(sizeof(val), KM_MM2_OFFSET_SYNC_VALUE_LEN);

	/* the key sets topic and partition and leaves the offsets alone */
	assert_int_equal(km_mm2_offset_sync_key_decode(&os, key, sizeof(key), err, sizeof(err)),
	                 KM_OK);
	assert_str_in(os.topic, "t", key, sizeof(key));
	assert_int_equal(os.partition, 0);
	assert_int_equal(os.upstream, 9);
	assert_int_equal(km_mm2_offset_sync_value_decode(&os, val, sizeof(val), err, sizeof(err)),
	                 KM_OK);
	assert_int_equal(os.upstream, 5);
	assert_int_equal(os.downstream, 7);
	assert_str_in(os.topic, "t", key, sizeof(key));
}

/* MM2's example: group g, topic A.t (default policy) or t (identity),
 * partition 0, upstream 5, downstream 7, no metadata. */
static void test_checkpoint_golden(void **state) {
	const anyrec_t rec = {.cp = {S("g"), S("A.t"), 0, 5, 7, S("")}};
	const anyrec_t ident = {.cp = {S("g"), S("t"), 0, 5, 7, {NULL, 0}}};
	static const unsigned char key[] = {0x00, 0x01, 0x67, 0x00, 0x03, 0x41,
	                                    0x2e, 0x74, 0x00, 0x00, 0x00, 0x00};
	static const unsigned char ikey[] = {0x00, 0x01, 0x67, 0x00, 0x01,
	                                     0x74, 0x00, 0x00, 0x00, 0x00};
	static const unsigned char val[] = {0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 5,
	                                    0,    0,    0, 0, 0, 0, 0, 7, 0, 0};
	km_mm2_checkpoint_t cp = {S("x"), S("y"), 9, 9, 9, S("z")};
	char err[128];

	(void)state;
	check_both_ways(&checkpoint_key, &rec, key, sizeof(key));
	check_both_ways(&checkpoint_key, &ident, ikey, sizeof(ikey));
	check_both_ways(&checkpoint_value, &rec, val, sizeof(val));
	check_both_ways(&checkpoint_value, &ident, val, sizeof(val));

	assert_int_equal(km_mm2_checkpoint_key_decode(&cp, key, sizeof(key), err, sizeof(err)),
	                 KM_OK);
	assert_str_in(cp.group, "g", key, sizeof(key));
	assert_str_in(cp.topic, "A.t", key, sizeof(key));
	assert_int_equal(cp.partition, 0);
	assert_int_equal(cp.upstream, 9);
	assert_int_equal(cp.metadata.len, 1);
	assert_int_equal(km_mm2_checkpoint_value_decode(&cp, val, sizeof(val), err, sizeof(err)),
	                 KM_OK);
	assert_int_equal(cp.upstream, 5);
	assert_int_equal(cp.downstream, 7);
	assert_str_in(cp.metadata, "", val, sizeof(val));
}

/* MM2's example: source A, target B, timestamp 1700000000000. */
static void test_heartbeat_golden(void **state) {
	const anyrec_t rec = {.hb = {S("A"), S("B"), 1700000000000LL}};
	static const unsigned char key[] = {0x00, 0x01, 0x41, 0x00, 0x01, 0x42};
	static const unsigned char val[] = {0x00, 0x00, 0x00, 0x00, 0x01,
	                                    0x8b, 0xcf, 0xe5, 0x68, 0x00};
	km_mm2_heartbeat_t hb = {S("x"), S("y"), 9};
	char err[128];

	(void)state;
	check_both_ways(&heartbeat_key, &rec, key, sizeof(key));
	check_both_ways(&heartbeat_value, &rec, val, sizeof(val));
	assert_int_equal(sizeof(val), KM_MM2_HEARTBEAT_VALUE_LEN);

	assert_int_equal(km_mm2_heartbeat_key_decode(&hb, key, sizeof(key), err, sizeof(err)),
	                 KM_OK);
	assert_str_in(hb.source, "A", key, sizeof(key));
	assert_str_in(hb.target, "B", key, sizeof(key));
	assert_int_equal(hb.timestamp_ms, 9);
	assert_int_equal(km_mm2_heartbeat_value_decode(&hb, val, sizeof(val), err, sizeof(err)),
	                 KM_OK);
	assert_int_equal(hb.timestamp_ms, 1700000000000LL);
}

/* Extremes and non-ASCII text: what goes in comes out, byte for byte. */
static void test_round_trips(void **state) {
	/* é, €, U+1D11E (four bytes), U+0000, U+D7FF, U+E000, U+10FFFF */
	static const char text[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e \x00 \xed\x9f\xbf "
	                           "\xee\x80\x80 \xf4\x8f\xbf\xbf";
	const anyrec_t os = {.os = {S("orders.v2-eu_1"), INT32_MAX, INT64_MAX, 0}};
	const anyrec_t cp = {.cp = {S(text), S("east.orders"), 1, 0, INT64_MAX, S(text)}};
	const anyrec_t hb_min = {.hb = {S(""), S(text), INT64_MIN}};
	const anyrec_t hb_neg = {.hb = {S("us-east"), S("eu-west"), -1}};
	static const unsigned char os_key[] = {0x00, 0x0e, 'o',  'r',  'd',  'e', 'r',
	                                       's',  '.',  'v',  '2',  '-',  'e', 'u',
	                                       '_',  '1',  0x7f, 0xff, 0xff, 0xff};
	static const unsigned char os_val[] = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                       0,    0,    0,    0,    0,    0,    0,    0};
	static const unsigned char hb_val[] = {0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0};
	static const unsigned char hb_val_neg[] = {0,    0,    0xff, 0xff, 0xff,
	                                           0xff, 0xff, 0xff, 0xff, 0xff};
	unsigned char buf[128];
	size_t len;
	anyrec_t back;
	char err[128];

	(void)state;
	check_both_ways(&offset_sync_key, &os, os_key, sizeof(os_key));
	check_both_ways(&offset_sync_value, &os, os_val, sizeof(os_val));
	check_both_ways(&heartbeat_value, &hb_min, hb_val, sizeof(hb_val));
	check_both_ways(&heartbeat_value, &hb_neg, hb_val_neg, sizeof(hb_val_neg));

	/* the text: its length prefix, then its bytes as given */
	assert_int_equal(
	    km_mm2_checkpoint_value_encode(&cp.cp, buf, sizeof(buf), &len, err, sizeof(err)),
	    KM_OK);
	assert_int_equal(len, 2 + 8 + 8 + 2 + sizeof(text) - 1);
	assert_int_equal(buf[18], 0);
	assert_int_equal(buf[19], sizeof(text) - 1);
	assert_memory_equal(buf + 20, text, sizeof(text) - 1);
	check_both_ways(&checkpoint_value, &cp, buf, len);
	assert_int_equal(
	    km_mm2_checkpoint_key_encode(&cp.cp, buf, sizeof(buf), &len, err, sizeof(err)), KM_OK);
	check_both_ways(&checkpoint_key, &cp, buf, len);
	assert_int_equal(
	    km_mm2_heartbeat_key_encode(&hb_min.hb, buf, sizeof(buf), &len, err, sizeof(err)),
	    KM_OK);
	assert_int_equal(km_mm2_heartbeat_key_decode(&back.hb, buf, len, err, sizeof(err)), KM_OK);
	assert_int_equal(back.hb.source.len, 0);
	assert_int_equal(back.hb.target.len, sizeof(text) - 1);
	assert_memory_equal(back.hb.target.str, text, sizeof(text) - 1);
}

/* The longest string MM2 writes, 32767 bytes, and one byte more. */
static void test_string_limit(void **state) {
	size_t max = KM_MM2_STRING_MAX, len = 0;
	char *s = malloc(max + 1), err[256];
	unsigned char *buf = malloc(max + 8);
	km_mm2_offset_sync_t os = {{s, max}, 3, 0, 0}, back;

	(void)state;
	assert_non_null(s);
	assert_non_null(buf);
	memset(s, 'x', max + 1);
	assert_int_equal(km_mm2_offset_sync_key_encode(&os, buf, max + 6, &len, err, sizeof(err)),
	                 KM_OK);
	assert_int_equal(len, max + 6);
	assert_int_equal(buf[0], 0x7f);
	assert_int_equal(buf[1], 0xff);
	assert_int_equal(km_mm2_offset_sync_key_decode(&back, buf, len, err, sizeof(err)), KM_OK);
	assert_int_equal(back.topic.len, max);
	assert_int_equal(back.partition, 3);

	os.topic.len = max + 1;
	assert_int_equal(km_mm2_offset_sync_key_encode(&os, buf, max + 8, &len, err, sizeof(err)),
	                 KM_ERR_INVALID);
	assert_string_equal(err, "offset sync key: topic is 32768 bytes; MM2 writes at most 32767");
	free(s);
	free(buf);
}

/* What the encoders refuse to write: it would not be read back. */
static void test_encode_refused(void **state) {
	anyrec_t r;

	(void)state;
	r.os = (km_mm2_offset_sync_t){S("t"), -1, 0, 0};
	check_enc_refused(&offset_sync_key, &r, "offset sync key: partition -1 is negative");
	r.os = (km_mm2_offset_sync_t){S("t"), 0, -1, 0};
	check_enc_refused(&offset_sync_value, &r,
	                  "offset sync value: upstream offset -1 is negative");
	r.os = (km_mm2_offset_sync_t){S("t"), 0, 0, INT64_MIN};
	check_enc_refused(&offset_sync_value, &r,
	                  "offset sync value: downstream offset -9223372036854775808 is negative");
	r.cp = (km_mm2_checkpoint_t){S("g"), {NULL, 3}, 0, 0, 0, S("")};
	check_enc_refused(&checkpoint_key, &r, "checkpoint key: topic is NULL with a length of 3");
	r.cp = (km_mm2_checkpoint_t){S("g\xff"), S("t"), 0, 0, 0, S("")};
	check_enc_refused(&checkpoint_key, &r, "checkpoint key: group is not UTF-8 (byte 1 of it)");
	r.cp = (km_mm2_checkpoint_t){S("g"), S("t"), 0, 0, 0, S("\xc0\xaf")};
	check_enc_refused(&checkpoint_value, &r,
	                  "checkpoint value: metadata is not UTF-8 (byte 0 of it)");
	r.hb = (km_mm2_heartbeat_t){S("a"), S("\xed\xa0\x80"), 0};
	check_enc_refused(&heartbeat_key, &r,
	                  "heartbeat key: target alias is not UTF-8 (byte 0 of it)");
}

/* A record without a key or value, or with nothing in it. */
static void test_decode_missing_or_empty(void **state) {
	char err[128];
	km_mm2_checkpoint_t cp;

	(void)state;
	assert_int_equal(km_mm2_checkpoint_value_decode(&cp, NULL, 0, err, sizeof(err)),
	                 KM_ERR_INVALID);
	assert_string_equal(err, "checkpoint value: missing (a tombstone?)");
	check_refused(&offset_sync_key, (const unsigned char *)"", 0,
	              "offset sync key: too short: topic (STRING length, INT16) at byte 0 needs 2 "
	              "bytes, 0 left");
	check_refused(&offset_sync_value, (const unsigned char *)"", 0,
	              "offset sync value: too short: upstream offset (INT64) at byte 0 needs 8 "
	              "bytes, 0 left");
	check_refused(
	    &heartbeat_value, (const unsigned char *)"", 0,
	    "heartbeat value: too short: version (INT16) at byte 0 needs 2 bytes, 0 left");
}

static void test_decode_short(void **state) {
	(void)state;
	check_refused(&offset_sync_key, BYTES(0x00, 0x01, 0x74, 0x00, 0x00),
	              "offset sync key: too short: partition (INT32) at byte 3 needs 4 bytes, 2 "
	              "left");
	check_refused(&offset_sync_value, BYTES(0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0),
	              "offset sync value: too short: downstream offset (INT64) at byte 8 needs 8 "
	              "bytes, 3 left");
	check_refused(&checkpoint_value,
	              BYTES(0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 7),
	              "checkpoint value: too short: metadata (STRING length, INT16) at byte 18 "
	              "needs 2 bytes, 0 left");
	check_refused(&heartbeat_value, BYTES(0, 0, 0, 0, 1, 0x8b),
	              "heartbeat value: too short: timestamp (INT64) at byte 2 needs 8 bytes, 4 "
	              "left");
	check_refused(&heartbeat_key, BYTES(0x00, 0x01, 0x41, 0x00),
	              "heartbeat key: too short: target alias (STRING length, INT16) at byte 3 "
	              "needs 2 bytes, 1 left");
}

static void test_decode_trailing(void **state) {
	(void)state;
	check_refused(&offset_sync_value,
	              BYTES(0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0),
	              "offset sync value: 2 bytes after its end at byte 16");
	check_refused(&heartbeat_key, BYTES(0x00, 0x01, 0x41, 0x00, 0x01, 0x42, 0x00),
	              "heartbeat key: 1 byte after its end at byte 6");
	/* a second string where none belongs */
	check_refused(&checkpoint_key, BYTES(0, 1, 'g', 0, 1, 't', 0, 0, 0, 0, 0, 1, 'x'),
	              "checkpoint key: 3 bytes after its end at byte 10");
}

static void test_decode_version(void **state) {
	(void)state;
	check_refused(&checkpoint_value,
	              BYTES(0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0),
	              "checkpoint value: version 1 at byte 0; only version 0 is defined");
	check_refused(&checkpoint_value,
	              BYTES(0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0),
	              "checkpoint value: version -1 at byte 0; only version 0 is defined");
	check_refused(&heartbeat_value, BYTES(0x80, 0x00, 0, 0, 1, 0x8b, 0xcf, 0xe5, 0x68, 0),
	              "heartbeat value: version -32768 at byte 0; only version 0 is defined");
	/* the version is read before anything else: a short buffer still says so */
	check_refused(&heartbeat_value, BYTES(0x00, 0x02),
	              "heartbeat value: version 2 at byte 0; only version 0 is defined");
}

static void test_decode_lengths(void **state) {
	(void)state;
	check_refused(&offset_sync_key, BYTES(0xff, 0xff, 0x74, 0, 0, 0, 0),
	              "offset sync key: topic has a negative length (-1) at byte 0");
	check_refused(&checkpoint_key, BYTES(0, 1, 'g', 0x80, 0x00, 't', 0, 0, 0, 0),
	              "checkpoint key: topic has a negative length (-32768) at byte 3");
	check_refused(
	    &checkpoint_key, BYTES(0, 5, 'g', 0, 1, 't'),
	    "checkpoint key: group's length 5 at byte 0 runs past the end (4 bytes left)");
	check_refused(&heartbeat_key, BYTES(0, 1, 'A', 0, 2, 'B'),
	              "heartbeat key: target alias's length 2 at byte 3 runs past the end (1 byte "
	              "left)");
	check_refused(&checkpoint_value,
	              BYTES(0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 7, 0x7f, 0xff),
	              "checkpoint value: metadata's length 32767 at byte 18 runs past the end (0 "
	              "bytes left)");
}

static void test_decode_negative_numbers(void **state) {
	(void)state;
	check_refused(&offset_sync_key, BYTES(0, 1, 't', 0xff, 0xff, 0xff, 0xff),
	              "offset sync key: partition -1 is negative at byte 3");
	check_refused(&checkpoint_key, BYTES(0, 1, 'g', 0, 1, 't', 0x80, 0, 0, 0),
	              "checkpoint key: partition -2147483648 is negative at byte 6");
	check_refused(&offset_sync_value,
	              BYTES(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfb, 0, 0, 0, 0, 0, 0, 0, 7),
	              "offset sync value: upstream offset -5 is negative at byte 0");
	check_refused(
	    &checkpoint_value, BYTES(0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0),
	    "checkpoint value: downstream offset -9223372036854775808 is negative at byte "
	    "10");
}

/* Ill-formed UTF-8 in every string field, and the edges that are fine. */
static void test_decode_utf8(void **state) {
	static const struct {
		const char *bytes, *why;
		size_t bad; /* where the error is, or (size_t)-1: well-formed */
	} cases[] = {
	    {"\x80", "a lone continuation byte", 0},
	    {"a\xbf", "a lone continuation byte", 1},
	    {"\xc0\xaf", "overlong '/' in two bytes", 0},
	    {"\xc1\xbf", "overlong in two bytes", 0},
	    {"\xe0\x80\xaf", "overlong '/' in three bytes", 0},
	    {"\xe0\x9f\xbf", "overlong in three bytes", 0},
	    {"\xf0\x80\x80\xaf", "overlong '/' in four bytes", 0},
	    {"\xf0\x8f\xbf\xbf", "overlong in four bytes", 0},
	    {"\xed\xa0\x80", "a surrogate, U+D800", 0},
	    {"\xed\xbf\xbf", "a surrogate, U+DFFF", 0},
	    {"\xf4\x90\x80\x80", "above U+10FFFF", 0},
	    {"\xf5\x80\x80\x80", "a lead byte past F4", 0},
	    {"\xff", "FF", 0},
	    {"ab\xe2\x82", "cut inside a character", 2},
	    {"\xe2\x28\xa1", "a non-continuation byte inside", 0},
	    {"\xf0\x9d\x84", "cut inside a four-byte character", 0},
	    {"\xc2\x80", "U+0080", (size_t)-1},
	    {"\xdf\xbf", "U+07FF", (size_t)-1},
	    {"\xe0\xa0\x80", "U+0800", (size_t)-1},
	    {"\xed\x9f\xbf", "U+D7FF", (size_t)-1},
	    {"\xee\x80\x80", "U+E000", (size_t)-1},
	    {"\xef\xbf\xbf", "U+FFFF", (size_t)-1},
	    {"\xf0\x90\x80\x80", "U+10000", (size_t)-1},
	    {"\xf4\x8f\xbf\xbf", "U+10FFFF", (size_t)-1},
	    {"\x7f", "U+007F", (size_t)-1},
	};
	unsigned char buf[64];
	char err[256], want[256];
	km_mm2_heartbeat_t hb;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].bytes);

		/* source alias "A", target alias the case */
		memcpy(buf,
		       "\x00\x01"
		       "A\x00",
		       4);
		buf[4] = (unsigned char)n;
		memcpy(buf + 5, cases[i].bytes, n);
		if (cases[i].bad == (size_t)-1) {
			assert_int_equal(
			    km_mm2_heartbeat_key_decode(&hb, buf, 5 + n, err, sizeof(err)), KM_OK);
			assert_int_equal(hb.target.len, n);
			continue;
		}
		snprintf(want, sizeof(want),
		         "heartbeat key: target alias is not UTF-8 (byte %zu of it) at byte 5",
		         cases[i].bad);
		check_refused(&heartbeat_key, buf, 5 + n, want);
	}
	check_refused(&checkpoint_key, BYTES(0, 2, 'g', 0xff, 0, 1, 't', 0, 0, 0, 0),
	              "checkpoint key: group is not UTF-8 (byte 1 of it) at byte 2");
	check_refused(&offset_sync_key, BYTES(0, 1, 0xc3, 0, 0, 0, 0),
	              "offset sync key: topic is not UTF-8 (byte 0 of it) at byte 2");
	check_refused(&checkpoint_value,
	              BYTES(0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 7, 0, 1, 0x80),
	              "checkpoint value: metadata is not UTF-8 (byte 0 of it) at byte 20");
}

/* A message longer than the caller's errstr is cut, never overrun. */
static void test_errstr_small(void **state) {
	km_mm2_heartbeat_t hb;
	char err[8];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(km_mm2_heartbeat_value_decode(&hb, NULL, 0, err, 1), KM_ERR_INVALID);
	assert_int_equal(err[0], '\0');
	assert_int_equal(err[1], 'x');
	assert_int_equal(km_mm2_heartbeat_value_decode(&hb, NULL, 0, err, sizeof(err)),
	                 KM_ERR_INVALID);
	assert_string_equal(err, "heartbe");
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_offset_sync_golden),
	    cmocka_unit_test(test_checkpoint_golden),
	    cmocka_unit_test(test_heartbeat_golden),
	    cmocka_unit_test(test_round_trips),
	    cmocka_unit_test(test_string_limit),
	    cmocka_unit_test(test_encode_refused),
	    cmocka_unit_test(test_decode_missing_or_empty),
	    cmocka_unit_test(test_decode_short),
	    cmocka_unit_test(test_decode_trailing),
	    cmocka_unit_test(test_decode_version),
	    cmocka_unit_test(test_decode_lengths),
	    cmocka_unit_test(test_decode_negative_numbers),
	    cmocka_unit_test(test_decode_utf8),
	    cmocka_unit_test(test_errstr_small),
	};

	return cmocka_run_group_tests_name("mm2_codec", tests, NULL, NULL);
}
