/* Reading a whole topic to its end (see topic_read.h). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kafka.h"
#include "log.h"
#include "topic_read.h"

static int64_t now_ms(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

km_err_t km_topic_read(rd_kafka_t *rk, const char *topic, const char *what, int timeout_ms,
                       km_topic_record_fn *fn, void *arg, size_t *bad, char *errstr,
                       size_t errstr_size) {
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_partition_list_t *parts = NULL;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	int64_t *end = NULL, deadline = now_ms() + timeout_ms;
	int pcnt, done = 0;
	size_t nbad = 0;
	km_err_t ret = KM_ERR_KAFKA;
	rd_kafka_resp_err_t err;

	err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
	if (err || md->topic_cnt != 1 || md->topics[0].err) {
		err = err ? err : md->topic_cnt ? md->topics[0].err : err;
		snprintf(errstr, errstr_size, "reading %s topic %s: %s", what, topic,
		         rd_kafka_err2str(err));
		if (err)
			ret = km_kafka_err2km(err);
		goto out;
	}
	pcnt = md->topics[0].partition_cnt;
	parts = rd_kafka_topic_partition_list_new(pcnt);
	if (!(end = calloc((size_t)pcnt + 1, sizeof(*end)))) {
		snprintf(errstr, errstr_size, "reading %s topic %s: out of memory", what, topic);
		ret = KM_ERR_NOMEM;
		goto out;
	}
	for (int p = 0; p < pcnt; p++) {
		int64_t lo, hi;
		err = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, timeout_ms);
		if (err) {
			snprintf(errstr, errstr_size, "reading %s topic %s [%d]: %s", what, topic,
			         p, rd_kafka_err2str(err));
			ret = km_kafka_err2km(err);
			goto out;
		}
		end[p] = hi;
		if (hi > lo)
			rd_kafka_topic_partition_list_add(parts, topic, p)->offset =
			    RD_KAFKA_OFFSET_BEGINNING;
		else
			done++;
	}
	if (done == pcnt) {
		ret = KM_OK;
		goto out;
	}
	if ((err = rd_kafka_assign(rk, parts))) {
		snprintf(errstr, errstr_size, "reading %s topic %s: assign: %s", what, topic,
		         rd_kafka_err2str(err));
		ret = km_kafka_err2km(err);
		goto out;
	}
	while (done < pcnt) {
		rd_kafka_message_t *msg;
		int64_t left = deadline - now_ms();

		if (left <= 0) {
			snprintf(errstr, errstr_size,
			         "reading %s topic %s: not read to its end within %d ms", what,
			         topic, timeout_ms);
			ret = KM_ERR_TIMEOUT;
			goto out;
		}
		if (!(msg = rd_kafka_consumer_poll(rk, (int)(left > 1000 ? 1000 : left))))
			continue;
		int32_t p = msg->partition;
		int reading = p >= 0 && p < pcnt && end[p] != INT64_MAX;
		/* A partition is read once the consumer reports its end
		 * (enable.partition.eof) or hands over the record just before
		 * the end it had: a topic written all the time (the offset syncs
		 * of a busy flow) never reports its end, each fetch finding new
		 * records. Records past that end are not handed over. */
		if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			if (reading && msg->offset >= end[p]) {
				end[p] = INT64_MAX;
				done++;
			}
		} else if (msg->err) {
			km_warn("reading %s topic %s: %s", what, topic,
			        rd_kafka_message_errstr(msg));
		} else if (reading && msg->offset < end[p]) {
			if (fn(arg, msg) < 0)
				nbad++;
			if (msg->offset + 1 >= end[p]) {
				end[p] = INT64_MAX;
				done++;
			}
		}
		rd_kafka_message_destroy(msg);
	}
	ret = KM_OK;
out:
	if (bad)
		*bad = nbad;
	rd_kafka_assign(rk, NULL);
	if (md)
		rd_kafka_metadata_destroy(md);
	if (parts)
		rd_kafka_topic_partition_list_destroy(parts);
	free(end);
	rd_kafka_topic_destroy(rkt);
	return ret;
}
