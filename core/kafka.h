/* librdkafka clients for flows: configuration layering and callbacks. */
#ifndef KM_KAFKA_H
#define KM_KAFKA_H

#include <librdkafka/rdkafka.h>

#include "config_model.h"
#include "kmirror/err.h"

/* Builds a configuration: kmirror's @p defaults (NULL-terminated key/value
 * pairs), then the cluster's properties @p cluster (the `kafka` map of a
 * km_cluster_conf_t, or NULL), then the flow's overrides @p over (may be
 * NULL), then @p forced pairs kmirror owns. Logs from the client go to
 * kmirror's log with @p who as prefix, its connections' failures and
 * recoveries as those of the cluster's alias (logstate.h). NULL on error
 * with errstr naming the property (never its value when it is a secret). */
rd_kafka_conf_t *km_kafka_conf(const char *who, const char *const *defaults,
                               const km_kvlist_t *cluster, const km_kvlist_t *over,
                               const char *const *forced, char *errstr, size_t errstr_size);

/* rd_kafka_new() with the configuration above; @p conf is consumed, also
 * when it fails (it is then kept, not freed: see kafka.c). */
rd_kafka_t *km_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *errstr,
                         size_t errstr_size);

/* Logs a non-fatal error of @p rk, a client of flow @p flow, from its error
 * callback: a connection failure at debug level (its FAIL log line
 * carries it), any other as a warning. */
void km_kafka_error(rd_kafka_t *rk, int err, const char *reason, const char *flow);

/* Closes consumer @p rk (rd_kafka_consumer_close) and destroys it. Its
 * connections are followed no more from the start of the close: it leaves
 * its group and tears its connections down, and a connection torn down
 * while it still authenticated ("SASL authentication error: ... Broker
 * transport failure") is its own doing, logged at debug (logstate.h). */
void km_kafka_consumer_destroy(rd_kafka_t *rk);

/* The km_err_t of librdkafka's @p err: KM_OK for no error, Kafka's
 * protocol codes (> 0) unchanged; of librdkafka's local codes (< 0), a
 * time-out is KM_ERR_TIMEOUT, a topic or partition the client does not
 * know KM_ERR_NOENT, any other KM_ERR_KAFKA (the message says which). */
km_err_t km_kafka_err2km(rd_kafka_resp_err_t err);

#endif
