/**
 * @file kmirror/record.h
 * @brief Records and batches as plugins see them.
 *
 * Records reach record stages a batch at a time, as an array of km_record_t
 * views. Every pointer in a record is borrowed: it is valid until the stage's
 * callback returns, unless it points into the batch arena, which lives until
 * the batch has been handed to the producer. A stage that changes a record
 * points the field at new bytes from km_host_api_t.arena_alloc(); it never
 * frees or writes through the pointers it was given.
 */
#ifndef KMIRROR_RECORD_H
#define KMIRROR_RECORD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One record header. Names may repeat; order is kept. */
typedef struct km_header {
	const char *name;  /**< NUL-terminated */
	const void *value; /**< NULL for a null-valued header */
	size_t value_len;
} km_header_t;

/** km_record_t.flags */
#define KM_RECORD_F_DROP 0x1 /**< set by a stage: the record is not copied */

/** A record on its way from the source to the target. */
typedef struct km_record {
	const void *key; /**< NULL for a null key */
	size_t key_len;
	const void *value; /**< NULL for a null value (tombstone) */
	size_t value_len;
	int64_t timestamp; /**< CreateTime in ms; -1: let the target set it */

	const km_header_t *headers; /**< header_cnt headers, in order */
	size_t header_cnt;

	/** Where the record goes: a stage may re-route it. The topic is
	 *  NUL-terminated; a new name must come from the batch arena. */
	const char *topic;
	int32_t partition;

	uint32_t flags; /**< KM_RECORD_F_* */

	/** Where the record came from (read-only; for a record a stage added:
	 *  the source of the batch's last record). */
	const char *source_topic;
	int32_t source_partition;
	int64_t source_offset;

	void *km_opaque; /**< the host's; plugins leave it alone */
} km_record_t;

/** A batch: records of one flow, in source order per partition. */
typedef struct km_batch {
	km_record_t *records; /**< may move when a stage adds records */
	size_t cnt;
	void *km_opaque; /**< the host's; plugins leave it alone */
} km_batch_t;

#ifdef __cplusplus
}
#endif
#endif /* KMIRROR_RECORD_H */
