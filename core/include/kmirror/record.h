/**
 * @file kmirror/record.h
 * @brief Records and batches as plugins see them.
 *
 * Records reach record stages a batch at a time, as km_record_t views laid
 * out `stride` bytes apart: reach record i with km_batch_record(), never by
 * indexing, so that a host with a larger km_record_t (fields appended in a
 * later minor) still works with the plugin. Every pointer in a record is
 * borrowed: it is valid until the stage's callback returns, unless it points
 * into the batch arena, which lives until the batch has been handed to the
 * producer. A stage that changes a record points the field at new bytes from
 * km_host_api_t.arena_alloc(); it never frees or writes through the pointers
 * it was given.
 *
 * Progress: a record the batch brought from the source is done when every
 * record made from it is acknowledged by the target (or dropped). A record a
 * stage adds with batch_add(batch, from) is made from `from`: `from` is not
 * done until the new record is acknowledged, so a crash copies both again.
 * A record added with no `from` (an aggregate, or a record made by a timer)
 * has no source: nothing waits for it, so a crash before the target
 * acknowledged it loses it.
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
#define KM_RECORD_F_ERROR                                                                          \
	0x2 /**< set by a stage: this record failed, `error`                                       \
	         says why; the flow's on_error applies to it                                       \
	         alone (the rest of the batch goes on) */

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
	/** With KM_RECORD_F_ERROR: why, NUL-terminated (static, or from the
	 *  batch arena). */
	const char *error;

	/** Where the record came from (read-only). A record a stage added has
	 *  its `from` record's; with no `from`: NULL, -1, -1. */
	const char *source_topic;
	int32_t source_partition;
	int64_t source_offset;

	void *km_opaque; /**< the host's; plugins leave it alone */
} km_record_t;

/** A batch: records of one flow, in source order per partition. */
typedef struct km_batch {
	void *records; /**< cnt records, stride bytes apart; may move when a
	                    stage adds records: use km_batch_record() */
	size_t cnt;
	size_t stride;   /**< the host's sizeof(km_record_t) */
	void *km_opaque; /**< the host's; plugins leave it alone */
} km_batch_t;

/** Record @p i of @p batch (i < batch->cnt). */
static inline km_record_t *km_batch_record(const km_batch_t *batch, size_t i) {
	return (km_record_t *)((unsigned char *)batch->records + i * batch->stride);
}

#ifdef __cplusplus
}
#endif
#endif /* KMIRROR_RECORD_H */
