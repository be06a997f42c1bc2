/* librdkafka client configuration for kmirror's clients. */
#include "config.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka.h"
#include "log.h"
#include "logstate.h"

/* What librdkafka reports, through the log state (logstate.h): retries and
 * outages make one line per change. Callbacks come from librdkafka's
 * threads; the lock also keeps the lines in the order of the changes. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static km_logstate_t *log_state; /* made with the first client's conf */

static int64_t mono_ms(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes @p line and frees its text. @locks log_lock (or none for a line
 * that no state decided) */
static void emit(km_logline_t *line) {
	if (line->text)
		km_log(line->level, "%s", line->text);
	free(line->text);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
	const char *name = rd_kafka_name(rk);
	km_logline_t line;

	if (level >= 7) { /* librdkafka's debug contexts: many, and no state */
		km_log(KM_LOG_DEBUG, "%s: %s: %s", name, fac, buf);
		return;
	}
	pthread_mutex_lock(&log_lock);
	km_logstate_log(log_state, rk, name, level, fac, buf, mono_ms(), &line);
	emit(&line);
	pthread_mutex_unlock(&log_lock);
}

void km_kafka_error(rd_kafka_t *rk, int err, const char *reason, const char *flow) {
	km_logline_t line;

	km_logstate_error(err, reason, flow, rd_kafka_name(rk), &line);
	emit(&line);
}

/* @locality a broker thread of @p rk, with the broker locked */
static rd_kafka_resp_err_t on_state(rd_kafka_t *rk, int32_t id, const char *secproto,
                                    const char *host, int port, const char *state, void *opaque) {
	char broker[300];
	km_logline_t line;

	(void)id, (void)secproto, (void)opaque;
	/* Port 0: a coordinator's handle or the internal one, whose states
	 * are those of a broker's own connection. */
	if (port <= 0 || !*host)
		return RD_KAFKA_RESP_ERR_NO_ERROR;
	snprintf(broker, sizeof(broker), "%s:%d", host, port);
	pthread_mutex_lock(&log_lock);
	km_logstate_broker(log_state, rk, broker, state, mono_ms(), &line);
	emit(&line);
	pthread_mutex_unlock(&log_lock);
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t on_destroy(rd_kafka_t *rk, void *opaque) {
	(void)opaque;
	pthread_mutex_lock(&log_lock);
	km_logstate_client_remove(log_state, rk, mono_ms());
	pthread_mutex_unlock(&log_lock);
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

void km_kafka_consumer_destroy(rd_kafka_t *rk) {
	on_destroy(rk, NULL); /* closing starts here, before on_destroy itself */
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

/* rd_kafka_new() calls it, before the client's threads start. */
static rd_kafka_resp_err_t on_new(rd_kafka_t *rk, const rd_kafka_conf_t *conf, void *opaque,
                                  char *errstr, size_t errstr_size) {
	const char *alias = opaque;
	km_err_t err;

	(void)conf, (void)errstr, (void)errstr_size;
	pthread_mutex_lock(&log_lock);
	err = km_logstate_client_add(log_state, rk, alias);
	pthread_mutex_unlock(&log_lock);
	if (err == KM_OK &&
	    (rd_kafka_interceptor_add_on_broker_state_change(rk, "kmirror-log", on_state, NULL) ||
	     rd_kafka_interceptor_add_on_destroy(rk, "kmirror-log", on_destroy, NULL))) {
		pthread_mutex_lock(&log_lock); /* its reports pass through as they come */
		km_logstate_client_forget(log_state, rk);
		pthread_mutex_unlock(&log_lock);
	}
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* The cluster whose `kafka` map is @p kv (every client's properties come
 * from one). */
static const km_cluster_conf_t *cluster_of(const km_kvlist_t *kv) {
	return (const km_cluster_conf_t *)(const void *)((const char *)kv -
	                                                 offsetof(km_cluster_conf_t, kafka));
}

/* Follows the connections of the clients made with @p conf as those of
 * cluster @p alias. */
static void follow_connections(rd_kafka_conf_t *conf, const char *alias) {
	pthread_mutex_lock(&log_lock);
	if (!log_state)
		log_state = km_logstate_new();
	pthread_mutex_unlock(&log_lock);
	rd_kafka_conf_interceptor_add_on_new(conf, "kmirror-log", on_new, (void *)alias);
}

static km_err_t set(rd_kafka_conf_t *conf, const char *who, const char *key, const char *val,
                    int secret, char *errstr, size_t errstr_size) {
	char msg[512];

	if (rd_kafka_conf_set(conf, key, val, msg, sizeof(msg)) == RD_KAFKA_CONF_OK)
		return KM_OK;
	if (secret)
		snprintf(errstr, errstr_size, "%s: property %s: invalid value", who, key);
	else
		snprintf(errstr, errstr_size, "%s: property %s=%s: %s", who, key, val, msg);
	return KM_ERR_INVALID;
}

rd_kafka_conf_t *km_kafka_conf(const char *who, const char *const *defaults,
                               const km_kvlist_t *cluster, const km_kvlist_t *over,
                               const char *const *forced, char *errstr, size_t errstr_size) {
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const km_kvlist_t *lists[] = {cluster, over};

	if (set(conf, who, "client.id", who, 0, errstr, errstr_size) != KM_OK)
		goto fail;
	for (size_t i = 0; defaults && defaults[i]; i += 2)
		if (set(conf, who, defaults[i], defaults[i + 1], 0, errstr, errstr_size) != KM_OK)
			goto fail;
	for (size_t l = 0; l < 2; l++) {
		if (!lists[l])
			continue;
		for (size_t i = 0; i < lists[l]->cnt; i++) {
			const km_kv_t *kv = &lists[l]->kvs[i];
			if (set(conf, who, kv->key, kv->val, kv->secret, errstr, errstr_size) !=
			    KM_OK)
				goto fail;
		}
	}
	for (size_t i = 0; forced && forced[i]; i += 2)
		if (set(conf, who, forced[i], forced[i + 1], 0, errstr, errstr_size) != KM_OK)
			goto fail;
	rd_kafka_conf_set_log_cb(conf, log_cb);
	if (cluster)
		follow_connections(conf, cluster_of(cluster)->alias);
	return conf;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

/* Configurations rd_kafka_new refused. librdkafka 2.0.2 frees the
 * interceptors of such a configuration itself (its rd_kafka_t holds a
 * struct copy of it), so destroying it as its API says frees them twice
 * (librdkafka issue #4142, fixed upstream after 2.0.2): kmirrord crashed
 * on a producer it could not make, e.g. for a CA file that had gone. They
 * are kept here instead, reachable, not freed: a few KB each, one per
 * failed attempt (the producer rebuild's are at least a second apart, then
 * a minute), and at most KM_REFUSED_KEPT of them; past that they are let
 * go unfreed. */
#define KM_REFUSED_KEPT 1024
static struct {
	pthread_mutex_t lock;
	rd_kafka_conf_t *confs[KM_REFUSED_KEPT];
	size_t cnt;
} km_refused = {.lock = PTHREAD_MUTEX_INITIALIZER};

rd_kafka_t *km_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *errstr,
                         size_t errstr_size) {
	rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, errstr_size);

	if (!rk) {
		pthread_mutex_lock(&km_refused.lock);
		if (km_refused.cnt < KM_REFUSED_KEPT)
			km_refused.confs[km_refused.cnt++] = conf;
		pthread_mutex_unlock(&km_refused.lock);
	}
	return rk;
}

km_err_t km_kafka_err2km(rd_kafka_resp_err_t err) {
	switch (err) {
	case RD_KAFKA_RESP_ERR_NO_ERROR:
		return KM_OK;
	case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
		return KM_ERR_TIMEOUT;
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
		return KM_ERR_NOENT;
	default:
		return err > 0 ? (km_err_t)err : KM_ERR_KAFKA;
	}
}
