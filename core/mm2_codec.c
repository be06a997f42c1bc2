/* MirrorMaker 2's internal records (see mm2_codec.h). Each key and value is
 * a schema, a list of typed fields at offsets of its struct; one encoder
 * and one decoder walk every schema, so the six formats cannot drift apart
 * in how they check a field. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kmirror/plugin.h"
#include "mm2_codec.h"

typedef enum km_mm2_ftype {
	FT_VERSION,   /* INT16, always 0; no struct field */
	FT_PARTITION, /* INT32, >= 0 */
	FT_OFFSET,    /* INT64, >= 0 */
	FT_TIMESTAMP, /* INT64, any */
	FT_STRING,    /* INT16 length + UTF-8 bytes */
} km_mm2_ftype_t;

typedef struct km_mm2_field {
	const char *name; /* for messages */
	km_mm2_ftype_t type;
	size_t off; /* in the record's struct */
} km_mm2_field_t;

typedef struct km_mm2_schema {
	const char *what; /* "checkpoint key": how messages start */
	const km_mm2_field_t *fields;
	size_t cnt;
} km_mm2_schema_t;

#define FIELD(t, member, type, name)                                                               \
	{ name, type, offsetof(t, member) }
#define SCHEMA(name, what, fields)                                                                 \
	static const km_mm2_schema_t name = {what, fields, sizeof(fields) / sizeof(fields[0])}

static const km_mm2_field_t offset_sync_key_fields[] = {
    FIELD(km_mm2_offset_sync_t, topic, FT_STRING, "topic"),
    FIELD(km_mm2_offset_sync_t, partition, FT_PARTITION, "partition"),
};
static const km_mm2_field_t offset_sync_value_fields[] = {
    FIELD(km_mm2_offset_sync_t, upstream, FT_OFFSET, "upstream offset"),
    FIELD(km_mm2_offset_sync_t, downstream, FT_OFFSET, "downstream offset"),
};
static const km_mm2_field_t checkpoint_key_fields[] = {
    FIELD(km_mm2_checkpoint_t, group, FT_STRING, "group"),
    FIELD(km_mm2_checkpoint_t, topic, FT_STRING, "topic"),
    FIELD(km_mm2_checkpoint_t, partition, FT_PARTITION, "partition"),
};
static const km_mm2_field_t checkpoint_value_fields[] = {
    {"version", FT_VERSION, 0},
    FIELD(km_mm2_checkpoint_t, upstream, FT_OFFSET, "upstream offset"),
    FIELD(km_mm2_checkpoint_t, downstream, FT_OFFSET, "downstream offset"),
    FIELD(km_mm2_checkpoint_t, metadata, FT_STRING, "metadata"),
};
static const km_mm2_field_t heartbeat_key_fields[] = {
    FIELD(km_mm2_heartbeat_t, source, FT_STRING, "source alias"),
    FIELD(km_mm2_heartbeat_t, target, FT_STRING, "target alias"),
};
static const km_mm2_field_t heartbeat_value_fields[] = {
    {"version", FT_VERSION, 0},
    FIELD(km_mm2_heartbeat_t, timestamp_ms, FT_TIMESTAMP, "timestamp"),
};

SCHEMA(offset_sync_key_schema, "offset sync key", offset_sync_key_fields);
SCHEMA(offset_sync_value_schema, "offset sync value", offset_sync_value_fields);
SCHEMA(checkpoint_key_schema, "checkpoint key", checkpoint_key_fields);
SCHEMA(checkpoint_value_schema, "checkpoint value", checkpoint_value_fields);
SCHEMA(heartbeat_key_schema, "heartbeat key", heartbeat_key_fields);
SCHEMA(heartbeat_value_schema, "heartbeat value", heartbeat_value_fields);

static km_err_t fail(char *errstr, size_t errstr_size, const char *fmt, ...) KM_PRINTF(3, 4);

static km_err_t fail(char *errstr, size_t errstr_size, const char *fmt, ...) {
	va_list ap;

	if (errstr && errstr_size) {
		va_start(ap, fmt);
		vsnprintf(errstr, errstr_size, fmt, ap);
		va_end(ap);
	}
	return KM_ERR_INVALID;
}

static const char *plural(size_t n) {
	return n == 1 ? "" : "s";
}

/* Bytes of a field on the wire; a string's is its length prefix. */
static size_t fixed_len(km_mm2_ftype_t type) {
	switch (type) {
	case FT_PARTITION:
		return 4;
	case FT_OFFSET:
	case FT_TIMESTAMP:
		return 8;
	default:
		return 2;
	}
}

static const char *type_name(km_mm2_ftype_t type) {
	switch (type) {
	case FT_PARTITION:
		return "INT32";
	case FT_OFFSET:
	case FT_TIMESTAMP:
		return "INT64";
	case FT_STRING:
		return "STRING length, INT16";
	default:
		return "INT16";
	}
}

/* Where the first byte of @p s that is not well-formed UTF-8 is (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF), or @p len when
 * there is none. This is what Java's encoder writes; U+0000 is a 0 byte. */
static size_t utf8_bad(const unsigned char *s, size_t len) {
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i], lo = 0x80, hi = 0xbf;
		size_t n;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c == 0xe0)
			n = 2, lo = 0xa0;
		else if (c == 0xed)
			n = 2, hi = 0x9f;
		else if (c >= 0xe1 && c <= 0xef)
			n = 2;
		else if (c == 0xf0)
			n = 3, lo = 0x90;
		else if (c == 0xf4)
			n = 3, hi = 0x8f;
		else if (c >= 0xf1 && c <= 0xf3)
			n = 3;
		else
			return i;
		if (len - i <= n || s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t k = 2; k <= n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
		i += n + 1;
	}
	return len;
}

/* " at byte N" for messages about what was read at @p at; "" when the
 * value is about to be written (@p at SIZE_MAX). */
static const char *at_byte(char *buf, size_t size, size_t at) {
	if (at == SIZE_MAX)
		return "";
	snprintf(buf, size, " at byte %zu", at);
	return buf;
}

/* Checks the value of field @p f in @p rec, the same way before writing it
 * and after reading it from byte @p at (SIZE_MAX: before writing). */
static km_err_t check_field(const km_mm2_schema_t *s, const km_mm2_field_t *f, const void *rec,
                            size_t at, char *errstr, size_t errstr_size) {
	const char *p = (const char *)rec + f->off;
	char w[32];
	int64_t off;
	int32_t part;
	km_mm2_str_t str;
	size_t bad;

	switch (f->type) {
	case FT_PARTITION:
		memcpy(&part, p, sizeof(part));
		if (part < 0)
			return fail(errstr, errstr_size, "%s: %s %" PRId32 " is negative%s",
			            s->what, f->name, part, at_byte(w, sizeof(w), at));
		return KM_OK;
	case FT_OFFSET:
		memcpy(&off, p, sizeof(off));
		if (off < 0)
			return fail(errstr, errstr_size, "%s: %s %" PRId64 " is negative%s",
			            s->what, f->name, off, at_byte(w, sizeof(w), at));
		return KM_OK;
	case FT_STRING:
		memcpy(&str, p, sizeof(str));
		if (!str.str && str.len)
			return fail(errstr, errstr_size, "%s: %s is NULL with a length of %zu",
			            s->what, f->name, str.len);
		if (str.len > KM_MM2_STRING_MAX)
			return fail(errstr, errstr_size,
			            "%s: %s is %zu bytes; MM2 writes at most %d", s->what, f->name,
			            str.len, KM_MM2_STRING_MAX);
		if (str.len && (bad = utf8_bad((const unsigned char *)str.str, str.len)) < str.len)
			return fail(errstr, errstr_size, "%s: %s is not UTF-8 (byte %zu of it)%s",
			            s->what, f->name, bad, at_byte(w, sizeof(w), at));
		return KM_OK;
	default:
		return KM_OK;
	}
}

static void put_be(unsigned char *p, uint64_t v, size_t n) {
	for (size_t i = n; i-- > 0; v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

static uint64_t get_be(const unsigned char *p, size_t n) {
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The signed value of the @p n-byte two's complement @p v, without C's
 * implementation-defined conversion of an out-of-range unsigned value. */
static int64_t to_signed(uint64_t v, size_t n) {
	uint64_t sign = (uint64_t)1 << (n * 8 - 1);

	if (!(v & sign))
		return (int64_t)v;
	return -(int64_t)((sign * 2 - 1) & ~v) - 1; /* n == 8: 2 * sign wraps to 0 */
}

static km_err_t encode(const km_mm2_schema_t *s, const void *rec, void *buf, size_t size,
                       size_t *lenp, char *errstr, size_t errstr_size) {
	unsigned char *out = buf;
	size_t need = 0, at = 0;
	km_err_t err;

	for (size_t i = 0; i < s->cnt; i++) {
		const km_mm2_field_t *f = &s->fields[i];

		if ((err = check_field(s, f, rec, SIZE_MAX, errstr, errstr_size)) != KM_OK)
			return err;
		need += fixed_len(f->type);
		if (f->type == FT_STRING) {
			km_mm2_str_t str;

			memcpy(&str, (const char *)rec + f->off, sizeof(str));
			need += str.len;
		}
	}
	*lenp = need;
	if (need > size) {
		if (errstr && errstr_size)
			snprintf(errstr, errstr_size, "%s: needs %zu bytes, the buffer has %zu",
			         s->what, need, size);
		return KM_ERR_NOMEM;
	}
	for (size_t i = 0; i < s->cnt; i++) {
		const km_mm2_field_t *f = &s->fields[i];
		const char *p = (const char *)rec + f->off;
		size_t n = fixed_len(f->type);
		uint64_t v = 0;
		km_mm2_str_t str = {NULL, 0};
		int32_t part;
		int64_t i64;

		switch (f->type) {
		case FT_PARTITION:
			memcpy(&part, p, sizeof(part));
			v = (uint32_t)part;
			break;
		case FT_OFFSET:
		case FT_TIMESTAMP:
			memcpy(&i64, p, sizeof(i64));
			v = (uint64_t)i64;
			break;
		case FT_STRING:
			memcpy(&str, p, sizeof(str));
			v = str.len;
			break;
		default: /* FT_VERSION: 0 */
			break;
		}
		put_be(out + at, v, n);
		at += n;
		if (str.len)
			memcpy(out + at, str.str, str.len);
		at += str.len;
	}
	return KM_OK;
}

static km_err_t decode(const km_mm2_schema_t *s, void *rec, const void *buf, size_t len,
                       char *errstr, size_t errstr_size) {
	const unsigned char *in = buf;
	size_t at = 0;
	km_err_t err;

	if (!buf)
		return fail(errstr, errstr_size, "%s: missing (a tombstone?)", s->what);
	for (size_t i = 0; i < s->cnt; i++) {
		const km_mm2_field_t *f = &s->fields[i];
		char *p = (char *)rec + f->off;
		size_t n = fixed_len(f->type), start = at;
		int64_t v;
		int32_t part;
		km_mm2_str_t str;

		if (len - at < n)
			return fail(errstr, errstr_size,
			            "%s: too short: %s (%s) at byte %zu needs %zu bytes, %zu left",
			            s->what, f->name, type_name(f->type), at, n, len - at);
		v = to_signed(get_be(in + at, n), n);
		at += n;
		switch (f->type) {
		case FT_VERSION:
			if (v != 0)
				return fail(errstr, errstr_size,
				            "%s: version %" PRId64
				            " at byte %zu; only version 0 is "
				            "defined",
				            s->what, v, start);
			continue;
		case FT_PARTITION:
			part = (int32_t)v;
			memcpy(p, &part, sizeof(part));
			break;
		case FT_OFFSET:
		case FT_TIMESTAMP:
			memcpy(p, &v, sizeof(v));
			break;
		default: /* FT_STRING: its bytes start after the length */
			if (v < 0)
				return fail(errstr, errstr_size,
				            "%s: %s has a negative length (%" PRId64
				            ") at byte %zu",
				            s->what, f->name, v, start);
			if ((uint64_t)v > len - at)
				return fail(errstr, errstr_size,
				            "%s: %s's length %" PRId64
				            " at byte %zu runs past the end (%zu byte%s left)",
				            s->what, f->name, v, start, len - at, plural(len - at));
			str.str = (const char *)in + at;
			str.len = (size_t)v;
			memcpy(p, &str, sizeof(str));
			start = at;
			at += str.len;
			break;
		}
		if ((err = check_field(s, f, rec, start, errstr, errstr_size)) != KM_OK)
			return err;
	}
	if (at != len)
		return fail(errstr, errstr_size, "%s: %zu byte%s after its end at byte %zu",
		            s->what, len - at, plural(len - at), at);
	return KM_OK;
}

/* The public encoder and decoder of one key or value; @p name_schema is its
 * schema and @p type its record's struct. */
#define KM_MM2_CODEC(name, type)                                                                   \
	km_err_t km_mm2_##name##_encode(const type *rec, void *buf, size_t size, size_t *lenp,     \
	                                char *errstr, size_t errstr_size) {                        \
		return encode(&name##_schema, rec, buf, size, lenp, errstr, errstr_size);          \
	}                                                                                          \
	km_err_t km_mm2_##name##_decode(type *rec, const void *buf, size_t len, char *errstr,      \
	                                size_t errstr_size) {                                      \
		return decode(&name##_schema, rec, buf, len, errstr, errstr_size);                 \
	}

KM_MM2_CODEC(offset_sync_key, km_mm2_offset_sync_t)
KM_MM2_CODEC(offset_sync_value, km_mm2_offset_sync_t)
KM_MM2_CODEC(checkpoint_key, km_mm2_checkpoint_t)
KM_MM2_CODEC(checkpoint_value, km_mm2_checkpoint_t)
KM_MM2_CODEC(heartbeat_key, km_mm2_heartbeat_t)
KM_MM2_CODEC(heartbeat_value, km_mm2_heartbeat_t)
