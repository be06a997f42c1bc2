/* MirrorMaker 2's internal records, byte for byte: the offset syncs of
 * mm2-offset-syncs.<alias>.internal, the checkpoints of
 * <source>.checkpoints.internal and the heartbeats of `heartbeats`, so that
 * MM2 and its tools (RemoteClusterUtils, MirrorClient, the console
 * formatters) read what kmirror writes and kmirror reads what MM2 wrote.
 *
 * The encoding is Kafka's classic protocol types: big-endian INT16, INT32
 * and INT64, and STRING = INT16 byte length (0..32767) + UTF-8 bytes, fields
 * concatenated with nothing between them:
 *
 *   offset sync  key   topic STRING, partition INT32       (the source topic)
 *                value upstream INT64, downstream INT64    (no version)
 *   checkpoint   key   group STRING, topic STRING, partition INT32
 *                                                          (the target-side topic)
 *                value version INT16 = 0, upstream INT64, downstream INT64,
 *                      metadata STRING
 *   heartbeat    key   source alias STRING, target alias STRING
 *                value version INT16 = 0, timestamp INT64  (ms)
 *
 * Encoders write into the caller's buffer and never truncate. Decoders
 * refuse what MM2 would not have written, which is stricter than MM2's own
 * reader: a version other than 0, a buffer that ends inside a field, bytes
 * left after the last field (MM2 ignores them; here they mean a format this
 * code does not know), a negative string length or one that runs past the
 * end, a string that is not UTF-8, and a negative partition or offset. An
 * encoder refuses the same values, so that kmirror never writes a record it
 * would not read back.
 *
 * Unit tests: tests/unit/test_mm2_codec.c; fuzz
 * targets: tests/fuzz/.
 * @locality any thread; pure, allocates nothing */
#ifndef KM_MM2_CODEC_H
#define KM_MM2_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "kmirror/err.h"

/* The longest string MM2 writes, in bytes (Java's Short.MAX_VALUE). */
#define KM_MM2_STRING_MAX 32767
/* The lengths of the values without strings. */
#define KM_MM2_OFFSET_SYNC_VALUE_LEN 16
#define KM_MM2_HEARTBEAT_VALUE_LEN   10

/* A string as MM2 writes it: bytes and a length, without a NUL (and it may
 * hold NUL bytes). A decoder points @c str into its input; an encoder only
 * reads it during the call. @c str may be NULL when @c len is 0. */
typedef struct km_mm2_str {
	const char *str;
	size_t len;
} km_mm2_str_t;

/* One offset sync: the record at @c upstream in the source partition landed
 * at @c downstream in the target partition of the same number. */
typedef struct km_mm2_offset_sync {
	km_mm2_str_t topic; /* the topic's name on the source cluster */
	int32_t partition;
	int64_t upstream;
	int64_t downstream;
} km_mm2_offset_sync_t;

/* One checkpoint: @c group committed @c upstream on the source; a consumer
 * of the same group on the target resumes at @c downstream. */
typedef struct km_mm2_checkpoint {
	km_mm2_str_t group;
	km_mm2_str_t topic; /* the topic's name on the target cluster */
	int32_t partition;
	int64_t upstream;
	int64_t downstream;
	km_mm2_str_t metadata; /* the source commit's metadata, "" when none */
} km_mm2_checkpoint_t;

/* One heartbeat of the flow @c source -> @c target (cluster aliases). */
typedef struct km_mm2_heartbeat {
	km_mm2_str_t source;
	km_mm2_str_t target;
	int64_t timestamp_ms; /* when it was emitted, ms since the epoch */
} km_mm2_heartbeat_t;

/* The encoders. Each writes one key or value of @p rec into @p buf.
 *
 * @param[in]  rec   borrowed; only the fields of that key or value are read
 * @param[out] buf   the caller's, @p size bytes; may be NULL when @p size is 0
 * @param[out] lenp  the record's length: the bytes written on KM_OK, the
 *                   bytes needed on KM_ERR_NOMEM
 *
 * @returns KM_OK; KM_ERR_NOMEM, with errstr, when @p size is too small
 *          (nothing is written); KM_ERR_INVALID, with errstr, for a string
 *          longer than KM_MM2_STRING_MAX, not UTF-8 or NULL with a length,
 *          or a negative partition or offset. @p errstr may be NULL. */
km_err_t km_mm2_offset_sync_key_encode(const km_mm2_offset_sync_t *rec, void *buf, size_t size,
                                       size_t *lenp, char *errstr, size_t errstr_size);
km_err_t km_mm2_offset_sync_value_encode(const km_mm2_offset_sync_t *rec, void *buf, size_t size,
                                         size_t *lenp, char *errstr, size_t errstr_size);
km_err_t km_mm2_checkpoint_key_encode(const km_mm2_checkpoint_t *rec, void *buf, size_t size,
                                      size_t *lenp, char *errstr, size_t errstr_size);
km_err_t km_mm2_checkpoint_value_encode(const km_mm2_checkpoint_t *rec, void *buf, size_t size,
                                        size_t *lenp, char *errstr, size_t errstr_size);
km_err_t km_mm2_heartbeat_key_encode(const km_mm2_heartbeat_t *rec, void *buf, size_t size,
                                     size_t *lenp, char *errstr, size_t errstr_size);
km_err_t km_mm2_heartbeat_value_encode(const km_mm2_heartbeat_t *rec, void *buf, size_t size,
                                       size_t *lenp, char *errstr, size_t errstr_size);

/* The decoders. Each reads one whole key or value into the fields of @p rec
 * that it holds, and leaves the others alone.
 *
 * @param[out] rec  its strings point into @p buf: valid as long as @p buf is
 * @param[in]  buf  borrowed, @p len bytes; NULL means the record has no key
 *                  or value (a tombstone), which is refused
 *
 * @returns KM_OK, or KM_ERR_INVALID with errstr saying what is wrong and at
 *          which byte; @p rec is then partly filled. @p errstr may be NULL. */
km_err_t km_mm2_offset_sync_key_decode(km_mm2_offset_sync_t *rec, const void *buf, size_t len,
                                       char *errstr, size_t errstr_size);
km_err_t km_mm2_offset_sync_value_decode(km_mm2_offset_sync_t *rec, const void *buf, size_t len,
                                         char *errstr, size_t errstr_size);
km_err_t km_mm2_checkpoint_key_decode(km_mm2_checkpoint_t *rec, const void *buf, size_t len,
                                      char *errstr, size_t errstr_size);
km_err_t km_mm2_checkpoint_value_decode(km_mm2_checkpoint_t *rec, const void *buf, size_t len,
                                        char *errstr, size_t errstr_size);
km_err_t km_mm2_heartbeat_key_decode(km_mm2_heartbeat_t *rec, const void *buf, size_t len,
                                     char *errstr, size_t errstr_size);
km_err_t km_mm2_heartbeat_value_decode(km_mm2_heartbeat_t *rec, const void *buf, size_t len,
                                       char *errstr, size_t errstr_size);

#endif /* KM_MM2_CODEC_H */
