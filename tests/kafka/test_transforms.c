/* The bundled transform stages against real Kafka: a flow whose pipeline
 * is header_insert, filter, topic_router and partition copies only the
 * records the filter keeps, each with a header saying where it came from,
 * to the routed topic (3 partitions where the source has 2), each keyed
 * record in the partition Kafka's default partitioner picks for its key. */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ktest.h"
#include "murmur2.h"

#define WAIT_MS 120000

static int64_t base_ts;

/* Produces a record keyed @p key (NULL: null key) valued "v-@p i" to @p
 * partition, with the header "env: @p env" unless @p env is NULL. */
static void produce(rd_kafka_t *rk, const char *topic, int32_t partition, const char *key,
                    const char *env, int i) {
	rd_kafka_headers_t *h = rd_kafka_headers_new(1);
	char val[32];

	snprintf(val, sizeof(val), "v-%d", i);
	if (env)
		rd_kafka_header_add(h, "env", -1, env, -1);
	assert_int_equal(
	    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
	                      RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
	                      RD_KAFKA_V_VALUE(val, strlen(val)), RD_KAFKA_V_TIMESTAMP(base_ts + i),
	                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h),
	                      RD_KAFKA_V_END),
	    0);
}

/* What the source holds: partition, key, env header; the filter keeps
 * env=prod only. */
static const struct {
	int32_t partition;
	const char *key, *env;
} src[] = {
    {0, "k-0", "prod"},   {0, "dev-0", "dev"}, {0, "k-1", "prod"}, {0, NULL, "prod"},
    {0, "k-2", "prod"},   {0, "dev-1", "dev"}, {0, "k-3", "prod"}, {1, "k-4", "prod"},
    {1, "noenv-0", NULL}, {1, "k-5", "prod"},  {1, "k-6", "prod"}, {1, "k-7", "prod"},
};
#define SRC_CNT  (sizeof(src) / sizeof(src[0]))
#define KEPT_CNT 9

/* The flow's pipeline: where each record came from, env=prod only, to
 * routed-TOPIC, in the partition of its key. */
static const char pipeline[] =
    "    pipeline:\n"
    "      - plugin: header_insert\n"
    "        name: origin\n"
    "        value: \"%{source.cluster}/%{source.topic}/%{source.partition}/"
    "%{source.offset}\"\n"
    "      - plugin: filter\n"
    "        action: keep\n"
    "        header: env\n"
    "        header.value: prod\n"
    "      - plugin: topic_router\n"
    "        regex: 'a\\.(txpipe-.*)'\n"
    "        replacement: routed-$1\n"
    "      - plugin: partition\n"
    "        mode: hash\n";

/* The source offset of src[@p i]: its place among its partition's. */
static int64_t src_offset(size_t i) {
	int64_t off = 0;

	for (size_t j = 0; j < i; j++)
		off += src[j].partition == src[i].partition;
	return off;
}

static void test_pipeline(void **state) {
	char topic[128], routed[160], mirror[160], want[256], buf[256];
	rd_kafka_t *a = ktest_producer("a", "enable.idempotence", "true", NULL);
	rd_kafka_t *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	size_t found = 0;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "txpipe");
	snprintf(routed, sizeof(routed), "routed-%s", topic);
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(a, topic, 2, NULL);
	/* the routed topic exists with another partition count than the source's */
	ktest_create_topic(b, routed, 3, NULL);
	for (size_t i = 0; i < SRC_CNT; i++)
		produce(a, topic, src[i].partition, src[i].key, src[i].env, (int)i);
	ktest_flush(a);

	ktest_flow_start(d, "tx", topic, pipeline, WAIT_MS);
	ktest_status_wait_caught_up(d, "tx", a, topic, 2, WAIT_MS);
	ktest_wait_count(b, routed, KEPT_CNT, WAIT_MS);
	/* the counters operators read: 3 dropped, 9 routed */
	ktest_status_wait_text(d, "tx", "\"counters\":{\"dropped\":3}", WAIT_MS);
	ktest_status_wait_text(d, "tx", "\"routed\":9", WAIT_MS);
	ktest_daemon_finish(d);

	/* nothing went to the mirror topic, the kept records to the routed one */
	assert_int_equal(ktest_count(b, mirror), 0);
	assert_int_equal(ktest_count(b, routed), KEPT_CNT);
	for (int32_t p = 0; p < 3; p++) {
		size_t n;
		ktest_rec_t *r = ktest_read_partition("b", routed, p, &n);

		for (size_t k = 0; k < n; k++) {
			size_t i;
			int vi;

			assert_non_null(r[k].value);
			assert_true(r[k].value_len < sizeof(buf));
			memcpy(buf, r[k].value, r[k].value_len); /* not NUL-terminated */
			buf[r[k].value_len] = '\0';
			assert_int_equal(sscanf(buf, "v-%d", &vi), 1);
			i = (size_t)vi;
			assert_true(i < SRC_CNT);
			found++;
			/* only env=prod came through, unchanged */
			assert_string_equal(src[i].env ? src[i].env : "(none)", "prod");
			assert_int_equal(r[k].timestamp, base_ts + vi);
			if (src[i].key) {
				assert_int_equal(r[k].key_len, strlen(src[i].key));
				assert_memory_equal(r[k].key, src[i].key, r[k].key_len);
				/* Kafka's default partitioner over the target's 3 */
				if (p != km_murmur2_partition(src[i].key, strlen(src[i].key), 3))
					fail_msg("%s is in partition %d, not %d", src[i].key,
					         (int)p,
					         (int)km_murmur2_partition(src[i].key,
					                                   strlen(src[i].key), 3));
			} else {
				assert_null(r[k].key);
			}
			/* the source's header, then where the record came from */
			assert_non_null(ktest_header(&r[k], "env", buf, sizeof(buf)));
			assert_string_equal(buf, "prod");
			snprintf(want, sizeof(want), "a/%s/%d/%" PRId64, topic,
			         (int)src[i].partition, src_offset(i));
			assert_non_null(ktest_header(&r[k], "origin", buf, sizeof(buf)));
			assert_string_equal(buf, want);
			{
				const char *name;
				const void *val;
				size_t sz;
				assert_int_equal(
				    rd_kafka_header_get_all(r[k].headers, 1, &name, &val, &sz), 0);
				assert_string_equal(name, "origin");
				/* then only the provenance header kmirrord adds */
				assert_int_equal(
				    rd_kafka_header_get_all(r[k].headers, 2, &name, &val, &sz), 0);
				assert_string_equal(name, "kmirror.provenance");
				assert_int_not_equal(
				    rd_kafka_header_get_all(r[k].headers, 3, &name, &val, &sz), 0);
			}
		}
		ktest_recs_free(r, n);
	}
	assert_int_equal(found, KEPT_CNT);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* A transform that fails a record follows on_error: with dead-letter, the
 * record goes unchanged to the dead-letter topic with headers naming the
 * stage and its message, and the rest of the partition goes on. Here the
 * timestamp stage fails the records it would move before 1970. */
static void test_failure_dead_lettered(void **state) {
	static const char more[] = "    on_error: dead-letter\n"
	                           "    dead_letter.topic: %s\n"
	                           "    pipeline:\n"
	                           "      - plugin: timestamp\n"
	                           "        mode: shift\n"
	                           "        shift: -%dh\n";
	char topic[128], mirror[160], dlq[128], extra[512], buf[256];
	rd_kafka_t *a = ktest_producer("a", "enable.idempotence", "true", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	int64_t hours = (base_ts / 3600000) - 1; /* up to one hour before base_ts + 1h */
	ktest_rec_t *r;
	size_t n;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "txfail");
	ktest_topic_name(dlq, sizeof(dlq), "txdlq");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(a, topic, 1, NULL);
	/* records 0..2 at base_ts + i: shifted, still after 1970; record 3
	 * far older, so the shift would take it before 1970 */
	for (int i = 0; i < 3; i++)
		produce(a, topic, 0, "ok", "prod", i);
	assert_int_equal(rd_kafka_producev(a, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
	                                   RD_KAFKA_V_KEY("old", 3), RD_KAFKA_V_VALUE("v-old", 5),
	                                   RD_KAFKA_V_TIMESTAMP(1000), RD_KAFKA_V_END),
	                 0);
	produce(a, topic, 0, "after", "prod", 3);
	ktest_flush(a);

	snprintf(extra, sizeof(extra), more, dlq, (int)hours);
	ktest_flow_start(d, "txf", topic, extra, WAIT_MS);
	ktest_status_wait_caught_up(d, "txf", a, topic, 1, WAIT_MS);
	assert_int_equal(ktest_status_wait(d, "txf", "dead_lettered", 1, WAIT_MS), 1);
	ktest_daemon_finish(d);

	/* the partition went on past the failed record */
	ktest_keys_of("b", mirror, 0, buf, sizeof(buf));
	assert_string_equal(buf, "ok,ok,ok,after");
	r = ktest_read_all("b", dlq, &n);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].key_len, 3);
	assert_memory_equal(r[0].key, "old", 3);
	assert_int_equal(r[0].timestamp, 1000); /* unchanged */
	ktest_assert_header(&r[0], "kmirror.error.stage", "txf/flows[0].pipeline[0]");
	ktest_assert_header(&r[0], "kmirror.error.code", "KM_ERR_STAGE");
	ktest_assert_header(&r[0], "kmirror.error.source.offset", "3");
	assert_non_null(ktest_header(&r[0], "kmirror.error.message", buf, sizeof(buf)));
	if (!strstr(buf, "1970"))
		fail_msg("kmirror.error.message: %s", buf);
	ktest_recs_free(r, n);
	ktest_destroy(a);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_pipeline, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_failure_dead_lettered, ktest_daemon_teardown),
	};

	ktest_require_testbed("a", "b", NULL);
	base_ts = (int64_t)time(NULL) * 1000 - 3600 * 1000;
	return cmocka_run_group_tests_name("transforms", tests, NULL, NULL);
}
