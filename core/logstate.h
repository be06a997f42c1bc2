/* What to log of librdkafka's logs and errors: a pure state machine, fed
 * with what the clients report and the time, that turns retries and
 * outages into one line per change instead of one per attempt.
 *
 * Connections. Each client tells which cluster (by alias) it belongs to;
 * each broker connection of a client reports its state (UP, DOWN,
 * CONNECT...). A failed connection attempt ("Connect to ... failed",
 * a resolve or handshake failure: a FAIL report not made in state UP)
 * makes the broker unreachable when no connection of any client of the
 * cluster to that broker is up, or when the failures have gone on for
 * KM_LOGSTATE_GRACE_MS although one claims to be (a connection that hangs
 * without saying so). The first broker of a cluster to become unreachable
 * while no other broker of it answers gives one warning for the cluster
 * ("cluster ALIAS: unreachable: ..."); one that fails while others answer
 * gives one warning for that broker. The first connection that is up again
 * gives one info line that says how long it was unreachable. Disconnects
 * of established connections ("Disconnected (after ... in state UP)", "N/N
 * brokers are down") and every failure while unreachable are debug lines:
 * a disconnect that reconnects at once is not news.
 *
 * Retries. librdkafka logs each failed attempt of some requests it retries
 * by itself (GETPID: "Failed to acquire idempotence PID ...: retrying",
 * every 500 ms). The first attempt of an episode is an info line, the next
 * ones debug lines; one that comes KM_LOGSTATE_RETRY_WARN_MS or more after
 * the episode began is a warning that says how long it has lasted and how
 * many attempts failed, repeated at most every KM_LOGSTATE_RETRY_REPEAT_MS.
 * An episode ends after KM_LOGSTATE_QUIET_MS without an attempt (the retry
 * succeeded: librdkafka says nothing then). While the client's cluster is
 * unreachable the cluster's warning says it all: the retries stay debug.
 *
 * Closing. A client being closed or destroyed tears its own connections down, and
 * librdkafka may report that as failures (a SASL handshake cut short:
 * "SaslAuthenticateRequest failed: Local: Broker transport failure");
 * they say nothing about the cluster, so from km_logstate_client_remove
 * on its FAIL reports are debug lines and its connections no longer
 * count. It is forgotten KM_LOGSTATE_CLOSING_MS later.
 *
 * Everything else passes through at its own level.
 * @locality any; not thread-safe: the caller locks */
#ifndef KM_LOGSTATE_H
#define KM_LOGSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "kmirror/plugin.h"

#define KM_LOGSTATE_GRACE_MS        10000
#define KM_LOGSTATE_RETRY_WARN_MS   10000
#define KM_LOGSTATE_RETRY_REPEAT_MS 60000
#define KM_LOGSTATE_QUIET_MS        5000
#define KM_LOGSTATE_CLOSING_MS      60000

typedef struct km_logstate km_logstate_t;

/* One line to log: @c text NULL when there is nothing to log; else the
 * caller owns it (free()). */
typedef struct km_logline {
	km_log_level_t level;
	char *text;
} km_logline_t;

km_logstate_t *km_logstate_new(void);
void km_logstate_destroy(km_logstate_t *ls);

/* Client @p client (any unique pointer) belongs to cluster @p cluster
 * (copied). KM_OK; KM_ERR_NOMEM when out of memory, KM_ERR_INVALID without
 * a state (then its reports pass through). */
km_err_t km_logstate_client_add(km_logstate_t *ls, const void *client, const char *cluster);
/* The client is being closed or destroyed (a consumer from the start of
 * rd_kafka_consumer_close, km_kafka_consumer_destroy; any client at
 * librdkafka's on_destroy, before its broker threads end; a second call
 * changes nothing): its connections no longer count, and what it
 * reports from now on is its own closing (see "Closing" above). Clients
 * closed KM_LOGSTATE_CLOSING_MS or more before @p now_ms are forgotten. */
void km_logstate_client_remove(km_logstate_t *ls, const void *client, int64_t now_ms);
/* Forgets the client at once: its reports pass through from now on (a
 * client whose states cannot be followed). */
void km_logstate_client_forget(km_logstate_t *ls, const void *client);

/* A connection of @p client to broker @p broker ("host:port") is now in
 * librdkafka's state @p state ("UP", "DOWN", ...). */
void km_logstate_broker(km_logstate_t *ls, const void *client, const char *broker,
                        const char *state, int64_t now_ms, km_logline_t *out);

/* A log line of @p client (named @p name) at syslog level @p level with
 * facility @p fac, as librdkafka's log callback has it. */
void km_logstate_log(km_logstate_t *ls, const void *client, const char *name, int level,
                     const char *fac, const char *msg, int64_t now_ms, km_logline_t *out);

/* A non-fatal error @p err (an rd_kafka_resp_err_t) of the client named
 * @p name of flow @p flow from the error callback, as "flow FLOW: NAME:
 * REASON". librdkafka
 * logs each connection failure it reports there (its FAIL lines, which
 * km_logstate_log follows), so connection errors are debug lines; the
 * others are warnings. */
void km_logstate_error(int err, const char *reason, const char *flow, const char *name,
                       km_logline_t *out);

/* "850ms", "8.2s", "3m12s", "2h05m". */
void km_logstate_duration(char *buf, size_t size, int64_t ms);

#endif
