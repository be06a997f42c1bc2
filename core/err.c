/* kmirror error codes: descriptions and names. */
#include "config.h"

#include <stdio.h>

#include <librdkafka/rdkafka.h>

#include "kmirror/err.h"

static const struct {
	const char *name;
	const char *desc;
} km_errs[] = {
    [0] = {"KM_OK", "Success"},
    [1] = {"KM_ERR_FAIL", "Failure"},
    [2] = {"KM_ERR_NOMEM", "Out of memory or bound reached"},
    [3] = {"KM_ERR_INVALID", "Invalid argument or configuration"},
    [4] = {"KM_ERR_NOENT", "No such entry"},
    [5] = {"KM_ERR_EXISTS", "Already exists"},
    [6] = {"KM_ERR_ABI", "Plugin ABI mismatch"},
    [7] = {"KM_ERR_IO", "I/O error"},
    [8] = {"KM_ERR_TIMEOUT", "Timed out"},
    [9] = {"KM_ERR_STATE", "Not allowed in this state"},
    [10] = {"KM_ERR_KAFKA", "Local Kafka client error"},
    [11] = {"KM_ERR_STAGE", "A record stage failed the record"},
};

#define KM_NERRS ((int)(sizeof(km_errs) / sizeof(km_errs[0])))

/* librdkafka's entry for Kafka protocol code @p err, or NULL when the
 * installed librdkafka does not know it. */
static const struct rd_kafka_err_desc *kafka_desc(km_err_t err) {
	const struct rd_kafka_err_desc *descs;
	size_t cnt, i;

	rd_kafka_get_err_descs(&descs, &cnt);
	i = (size_t)((int)err - RD_KAFKA_RESP_ERR__BEGIN);
	return i < cnt && descs[i].code == (rd_kafka_resp_err_t)err && descs[i].name ? &descs[i]
	                                                                             : NULL;
}

const char *km_err2str(km_err_t err) {
	if (err > 0) {
		const struct rd_kafka_err_desc *d = kafka_desc(err);
		return d && d->desc ? d->desc : "Kafka error code unknown to this librdkafka";
	}
	if (-(int)err >= KM_NERRS)
		return "Unknown error";
	return km_errs[-(int)err].desc;
}

const char *km_err2name(km_err_t err) {
	static _Thread_local char buf[64];

	if (err > 0) {
		const struct rd_kafka_err_desc *d = kafka_desc(err);
		if (d)
			snprintf(buf, sizeof(buf), "KAFKA_%s", d->name);
		else
			snprintf(buf, sizeof(buf), "KAFKA_%d", (int)err);
		return buf;
	}
	if (-(int)err >= KM_NERRS)
		return "KM_ERR_UNKNOWN";
	return km_errs[-(int)err].name;
}
