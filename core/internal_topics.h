/* Internal topics: MirrorMaker 2's heartbeats, checkpoints and offset-syncs
 * topics, and kmirror's progress topic. Each is compacted and has one
 * partition (only partition 0 is written and read): kmirror creates it so
 * unless it exists, and checks the shape of one that exists.
 * @locality any thread that may wait for an admin answer (the control
 *           thread, in a flow) */
#ifndef KM_INTERNAL_TOPICS_H
#define KM_INTERNAL_TOPICS_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "kmirror/err.h"

/* Creates topic @p name on the cluster of @p rk (any client of it) unless it
 * exists: cleanup.policy=compact, one partition, replication factor @p rf
 * (-1: the broker's default). When it exists (or its creation was not
 * authorized), checks its shape.
 *
 * @returns KM_OK when the topic is there with the right shape; else, with
 *          errstr naming the topic, what is wrong and what would fix it
 *          (the caller adds the cluster and its own advice):
 *          KM_ERR_EXISTS  the topic exists with another shape (more than
 *                         one partition, or a cleanup.policy without
 *                         compact); nothing was changed
 *          KM_ERR_INVALID librdkafka refused the request (a bad @p rf)
 *          KM_ERR_TIMEOUT no answer within @p timeout_ms
 *          KM_ERR_NOENT   the topic is not in the cluster's metadata (yet)
 *          Kafka's code   the cluster refused: e.g.
 *                         RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED or
 *                         ..._CLUSTER_AUTHORIZATION_FAILED, the message
 *                         saying which ACL is missing */
km_err_t km_internal_topic_ensure(rd_kafka_t *rk, const char *name, int rf, int timeout_ms,
                                  char *errstr, size_t errstr_size);

/* The shape check alone (no Kafka): topic @p name has @p partitions
 * partitions and cleanup.policy @p cleanup_policy (NULL: not known, not
 * checked). KM_OK, or KM_ERR_EXISTS with errstr: what is wrong, then ": "
 * and the remedy (there is no ": " before it). */
km_err_t km_internal_topic_shape(const char *name, int partitions, const char *cleanup_policy,
                                 char *errstr, size_t errstr_size);

/* Says in @p errstr that @p what ("create", "describe", "describe the
 * configs of") on topic @p name was refused with @p err, and which ACL the
 * principal lacks when @p err is an authorization failure. Returns @p err
 * as a km_err_t. */
km_err_t km_internal_topic_refused(const char *what, const char *name, rd_kafka_resp_err_t err,
                                   const char *reason, char *errstr, size_t errstr_size);

#endif
