/* librdkafka client configuration for kmirror's clients. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "log.h"

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
	km_log_level_t l = level <= 3   ? KM_LOG_ERR
	                   : level == 4 ? KM_LOG_WARNING
	                   : level <= 6 ? KM_LOG_INFO
	                                : KM_LOG_DEBUG;
	/* librdkafka's notices are chatty (reconnects): keep them at info. */
	km_log(l, "%s: %s: %s", rd_kafka_name(rk), fac, buf);
}

static int set(rd_kafka_conf_t *conf, const char *who, const char *key, const char *val, int secret,
               char *errstr, size_t errstr_size) {
	char msg[512];

	if (rd_kafka_conf_set(conf, key, val, msg, sizeof(msg)) == RD_KAFKA_CONF_OK)
		return 0;
	if (secret)
		snprintf(errstr, errstr_size, "%s: property %s: invalid value", who, key);
	else
		snprintf(errstr, errstr_size, "%s: property %s=%s: %s", who, key, val, msg);
	return -1;
}

rd_kafka_conf_t *km_kafka_conf(const char *who, const char *const *defaults,
                               const km_kvlist_t *cluster, const km_kvlist_t *over,
                               const char *const *forced, char *errstr, size_t errstr_size) {
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const km_kvlist_t *lists[] = {cluster, over};

	if (set(conf, who, "client.id", who, 0, errstr, errstr_size))
		goto fail;
	for (size_t i = 0; defaults && defaults[i]; i += 2)
		if (set(conf, who, defaults[i], defaults[i + 1], 0, errstr, errstr_size))
			goto fail;
	for (size_t l = 0; l < 2; l++) {
		if (!lists[l])
			continue;
		for (size_t i = 0; i < lists[l]->cnt; i++) {
			const km_kv_t *kv = &lists[l]->kvs[i];
			if (set(conf, who, kv->key, kv->val, kv->secret, errstr, errstr_size))
				goto fail;
		}
	}
	for (size_t i = 0; forced && forced[i]; i += 2)
		if (set(conf, who, forced[i], forced[i + 1], 0, errstr, errstr_size))
			goto fail;
	rd_kafka_conf_set_log_cb(conf, log_cb);
	return conf;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

rd_kafka_t *km_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *errstr,
                         size_t errstr_size) {
	rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, errstr_size);

	if (!rk)
		rd_kafka_conf_destroy(conf);
	return rk;
}
