/* Progress: for each flow and source partition, the next source offset not
 * yet safely on the target. Kept in a compacted topic on the target cluster,
 * one record per flow and source partition:
 *   key   "<flow>/<source topic>/<partition>"   (text)
 *   value "<next source offset>"                 (decimal text)
 * Written only after the target acknowledged every record before that
 * offset; read to the end when a flow starts. The same topic holds the
 * flows' mirror-topic states (mstate.h), keys "<flow>/<topic>/state". */
#ifndef KM_PROGRESS_H
#define KM_PROGRESS_H

#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "kmirror/err.h"
#include "mstate.h"

#define KM_PROGRESS_TOPIC "kmirror-progress.internal"

/* The stored progress of one flow, by source topic and partition. */
typedef struct km_progress_map km_progress_map_t;

km_progress_map_t *km_progress_map_new(void);
void km_progress_map_destroy(km_progress_map_t *m);
/* The stored next offset, or -1 when nothing is stored. */
int64_t km_progress_get(const km_progress_map_t *m, const char *topic, int32_t partition);
/* KM_ERR_NOMEM when out of memory. */
km_err_t km_progress_set(km_progress_map_t *m, const char *topic, int32_t partition, int64_t next);
/* Forgets every partition of @p topic (a topic deleted and recreated). */
void km_progress_forget_topic(km_progress_map_t *m, const char *topic);
size_t km_progress_count(const km_progress_map_t *m);

/* Key and value of a progress record. Returns the length written, or -1
 * when @p size is too small. */
int km_progress_key(char *buf, size_t size, const char *flow, const char *topic, int32_t partition);
int km_progress_value(char *buf, size_t size, int64_t next);
/* Parses a record of @p flow into @p m; returns 1 when it was one of the
 * flow's, 0 when it belongs to another flow, -1 when malformed. */
int km_progress_parse(km_progress_map_t *m, const char *flow, const void *key, size_t key_len,
                      const void *val, size_t val_len);

/* Creates the progress topic on the target unless it exists (compacted, one
 * partition, replication factor @p rf or the broker's default when -1), as
 * km_internal_topic_ensure does; an existing one of another shape is only
 * logged (a warning): progress uses partition 0 alone and survives without
 * compaction. @p rk is any client of the target. KM_OK, or with errstr:
 * KM_ERR_INVALID when librdkafka refuses the request, KM_ERR_TIMEOUT
 * without an answer, Kafka's code (or KM_ERR_KAFKA) when the target refused
 * it (an authorization failure says which ACL is missing). */
km_err_t km_progress_topic_ensure(rd_kafka_t *rk, int rf, int timeout_ms, char *errstr,
                                  size_t errstr_size);

/* Reads the whole progress topic with @p rk (a consumer of the target
 * made with enable.partition.eof=true and no subscription) into @p m,
 * keeping only @p flow's records, and its mirror-topic states (mstate.h)
 * into @p states (NULL: skipped). KM_OK, or with errstr: the target's error
 * (km_kafka_err2km), KM_ERR_TIMEOUT when the topic was not read to its end
 * within @p timeout_ms, KM_ERR_NOMEM. */
km_err_t km_progress_load(rd_kafka_t *rk, const char *flow, km_progress_map_t *m,
                          km_mstate_map_t *states, int timeout_ms, char *errstr,
                          size_t errstr_size);

#endif
