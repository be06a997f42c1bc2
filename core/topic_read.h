/* Reading a whole topic once, to the end it had when the read started:
 * the progress topic at a flow's start, and the checkpoints topic (for
 * checkpoints that never go backwards across restarts).
 * @locality the thread that owns @p rk */
#ifndef KM_TOPIC_READ_H
#define KM_TOPIC_READ_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "kmirror/err.h"

/* Takes one record; returns < 0 when it is malformed (counted, skipped). */
typedef int(km_topic_record_fn)(void *arg, const rd_kafka_message_t *m);

/* Reads every partition of @p topic with @p rk (a consumer made with
 * enable.partition.eof=true and no subscription) from its beginning to the
 * end offset it had at the start, handing each record before that end to
 * @p fn (a topic still being written is read to that end too). @p what
 * names the topic in messages ("progress"). *@p bad (may be NULL) gets the
 * malformed records' count.
 *
 * @returns KM_OK; with errstr: the cluster's error (km_kafka_err2km), such
 *          as KM_ERR_NOENT for a topic that is not there; KM_ERR_TIMEOUT
 *          when it was not read to its end within @p timeout_ms;
 *          KM_ERR_NOMEM. */
km_err_t km_topic_read(rd_kafka_t *rk, const char *topic, const char *what, int timeout_ms,
                       km_topic_record_fn *fn, void *arg, size_t *bad, char *errstr,
                       size_t errstr_size);

#endif
