/* The Lua stage against real Kafka: each script of lua/examples/ in a
 * kmirrord flow, and what reaches the target checked record by record
 * (which were dropped, where they were routed, masked bytes against the
 * source's, the summaries' content); each on_error policy with a script
 * that fails some records (stop, skip, dead-letter, the script's file:line
 * in each); and SIGHUP with a changed script (the flow restarts with it,
 * nothing lost or copied twice) or a script that does not load (the reload
 * is refused, the old script goes on).
 *
 * The fan-in test needs four clusters (three regions, one aggregate): the
 * bed's a, b, old and agg (make check-kafka starts them); without old and
 * agg it is skipped. */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "ktest.h"

#define WAIT_MS 120000 /* deadline for kmirrord to converge */

/* Scripts the tests write, removed at the end. */
static char scripts_dir[256];

/* ---- helpers --------------------------------------------------------------- */

/* The path of example @p name in the source tree. */
static const char *example(char *buf, size_t size, const char *name) {
	const char *src = getenv("KM_TEST_SRCDIR");

	if (!src)
		fail_msg("KM_TEST_SRCDIR is not set: run the test through make");
	snprintf(buf, size, "%s/lua/examples/%s", src, name);
	return buf;
}

/* Writes @p text to @p name in scripts_dir (aside, then renamed: a reload
 * never reads half a script) and its path to @p path. */
static const char *write_script(char *path, size_t size, const char *name, const char *text) {
	char tmp[600];
	FILE *fp;

	snprintf(path, size, "%s/%s", scripts_dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_non_null(fp = fopen(tmp, "w"));
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(rename(tmp, path), 0);
	return path;
}

/* The `pipeline:` of a flow with one Lua stage running @p script with
 * @p params (a YAML flow value, NULL: none), after @p more (flow keys). */
static void lua_flow(char *buf, size_t size, const char *more, const char *script,
                     const char *params) {
	int n = snprintf(buf, size,
	                 "%s"
	                 "    pipeline:\n"
	                 "      - plugin: lua\n"
	                 "        script: %s\n"
	                 "%s%s%s",
	                 more ? more : "", script, params ? "        params: " : "",
	                 params ? params : "", params ? "\n" : "");

	if (n >= (int)size)
		fail_msg("the flow's keys are longer than %zu bytes", size - 1);
}

/* Starts flow @p flow copying @p topic from a to b through @p script. */
static void start_lua(ktest_daemon_t *d, const char *flow, const char *topic, const char *more,
                      const char *script, const char *params) {
	char extra[2048];

	lua_flow(extra, sizeof(extra), more, script, params);
	ktest_flow_start(d, flow, topic, extra, WAIT_MS);
}

/* Waits until @p flow copied all of @p topic (@p parts partitions) from a. */
static void caught_up(ktest_daemon_t *d, const char *flow, const char *topic, int parts) {
	rd_kafka_t *a = ktest_producer("a", NULL);

	ktest_status_wait_caught_up(d, flow, a, topic, parts, WAIT_MS);
	ktest_destroy(a);
}

/* A fresh topic on a named after @p prefix, with @p parts partitions, and
 * its mirror topic's name on b (prefix policy). */
static void new_topic(char *topic, size_t tsize, char *mirror, size_t msize, const char *prefix,
                      int parts) {
	rd_kafka_t *a = ktest_producer("a", NULL);

	ktest_topic_name(topic, tsize, prefix);
	snprintf(mirror, msize, "a.%s", topic);
	ktest_create_topic(a, topic, parts, NULL);
	ktest_destroy(a);
}

/* Fails unless the status of @p flow holds @p text. */
static void status_has(ktest_daemon_t *d, const char *flow, const char *text) {
	char *st = ktest_status_flow(d, flow);

	if (!st || !strstr(st, text))
		fail_msg("the status of flow %s lacks %s: %s", flow, text, st ? st : "(none)");
	free(st);
}

/* @p r has @p s's key, value and timestamp. */
static void assert_same_data(const ktest_rec_t *r, const ktest_rec_t *s) {
	if (!ktest_bytes_equal(r->key, r->key_len, s->key, s->key_len) ||
	    !ktest_bytes_equal(r->value, r->value_len, s->value, s->value_len) ||
	    r->timestamp != s->timestamp)
		fail_msg("the record at offset %" PRId64 " (%.*s = %.*s) is not the source's at "
		         "offset %" PRId64 " (%.*s = %.*s)",
		         r->offset, (int)r->key_len, r->key ? (const char *)r->key : "",
		         (int)r->value_len, r->value ? (const char *)r->value : "", s->offset,
		         (int)s->key_len, s->key ? (const char *)s->key : "", (int)s->value_len,
		         s->value ? (const char *)s->value : "");
}

/* The first @p n headers of @p r are @p s's headers, in order. */
static void assert_headers_start(const ktest_rec_t *r, const ktest_rec_t *s) {
	const char *sn, *rn;
	const void *sv, *rv;
	size_t ssz, rsz;

	for (size_t i = 0; s->headers && !rd_kafka_header_get_all(s->headers, i, &sn, &sv, &ssz);
	     i++) {
		if (!r->headers || rd_kafka_header_get_all(r->headers, i, &rn, &rv, &rsz))
			fail_msg("the record at offset %" PRId64 " lacks the source's header %s",
			         r->offset, sn);
		assert_string_equal(rn, sn);
		assert_true(ktest_bytes_equal(rv, rsz, sv, ssz));
	}
}

static int64_t wall_ms(void) {
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* ---- the examples ---------------------------------------------------------- */

/* drop_by_header.lua: records with residency: local (anywhere among their
 * headers) are not copied; the others are, byte for byte. */
static void test_drop_by_header(void **state) {
	static const ktest_msg_t m[] = {
	    {.key = "k-0", .value = "plain"},
	    {.key = "drop-1", .value = "local", .headers = {"residency", "local"}},
	    {.key = "k-2", .value = "global", .headers = {"residency", "global"}},
	    {.key = "drop-3", .value = "more", .headers = {"trace", "t3", "residency", "local"}},
	    {.key = "drop-4",
	     .value = "twice",
	     .headers = {"residency", "global", "residency", "local"}},
	    {.key = "k-5", .value = NULL, .headers = {"residency", NULL}},
	    {.key = "k-6", .value = "case", .headers = {"residency", "LOCAL"}},
	    {.key = "k-7", .value = "name", .headers = {"Residency", "local"}},
	};
	char topic[128], mirror[160], path[600], keys[512];
	ktest_daemon_t *d = &ktest_the_daemon;
	ktest_rec_t *s, *t;
	size_t ns, nt;

	(void)state;
	new_topic(topic, sizeof(topic), mirror, sizeof(mirror), "luahdr", 1);
	ktest_produce_msgs("a", topic, 0, m, sizeof(m) / sizeof(m[0]));
	start_lua(d, "hdr", topic, NULL, example(path, sizeof(path), "drop_by_header.lua"),
	          "{header: residency, value: local}");
	caught_up(d, "hdr", topic, 1);
	status_has(d, "hdr", "\"dropped\":3");
	ktest_daemon_finish(d);

	ktest_keys_of("b", mirror, 0, keys, sizeof(keys));
	assert_string_equal(keys, "k-0,k-2,k-5,k-6,k-7");
	s = ktest_read_partition("a", topic, 0, &ns);
	t = ktest_read_partition("b", mirror, 0, &nt);
	for (size_t i = 0, j = 0; i < ns; i++) {
		if (!memcmp(s[i].key, "drop", 4))
			continue;
		if (!ktest_same_record(&s[i], &t[j]))
			fail_msg("%.*s changed on its way", (int)s[i].key_len,
			         (const char *)s[i].key);
		j++;
	}
	ktest_recs_free(s, ns);
	ktest_recs_free(t, nt);
}

/* fan_out.lua: every record in its mirror topic and, the same, in the
 * second topic (created by kmirror with the source's partition count), in
 * the same partition. */
static void test_fan_out(void **state) {
	char topic[128], mirror[160], audit[128], path[600], params[300];
	ktest_daemon_t *d = &ktest_the_daemon;
	rd_kafka_t *b = ktest_producer("b", NULL);

	(void)state;
	new_topic(topic, sizeof(topic), mirror, sizeof(mirror), "luafan", 2);
	ktest_topic_name(audit, sizeof(audit), "luaaudit");
	ktest_produce_varied(topic, 2, 0, 40, "fan");
	snprintf(params, sizeof(params), "{also_to: %s}", audit);
	start_lua(d, "fanout", topic, NULL, example(path, sizeof(path), "fan_out.lua"), params);
	caught_up(d, "fanout", topic, 2);
	status_has(d, "fanout", "\"emitted\":40");
	status_has(d, "fanout", "\"routed_topics_created\":1");
	ktest_daemon_finish(d);

	ktest_assert_exact_copy(topic, mirror, 2, 40);
	assert_int_equal(ktest_partitions(b, audit), 2);
	ktest_assert_exact_copy(topic, audit, 2, 40);
	ktest_destroy(b);
}

/* The fan-in topology of fan_in.yaml: regions east (a), west (b) and south
 * (old, the older Kafka line) into the aggregate agg, a flow each with the
 * prefix policy and fan_in_prefix.lua. Each region's topic, of the same name everywhere,
 * lands in its own prefixed topic on agg, every record with its region's
 * header after its own, or with the region it already carried. */
static void test_fan_in(void **state) {
	static const char *const region[] = {"east", "west", "south"};
	static const char *const bed[] = {"a", "b", "old"};
	char topic[128], path[600], clusters[1024], flows[4096], name[200], want[64];
	ktest_daemon_t *d = &ktest_the_daemon;
	size_t len = 0;

	(void)state;
	if (!getenv("KM_TESTBED_old") || !getenv("KM_TESTBED_agg")) {
		ktest_note("the fan-in topology needs the bed's clusters old and agg: skipped");
		skip();
	}
	ktest_topic_name(topic, sizeof(topic), "luafanin");
	example(path, sizeof(path), "fan_in_prefix.lua");
	snprintf(clusters, sizeof(clusters),
	         "clusters:\n"
	         "  east: {kafka: {bootstrap.servers: '%s'}}\n"
	         "  west: {kafka: {bootstrap.servers: '%s'}}\n"
	         "  south: {kafka: {bootstrap.servers: '%s'}}\n"
	         "  agg: {kafka: {bootstrap.servers: '%s'}}\n",
	         ktest_bootstrap("a"), ktest_bootstrap("b"), ktest_bootstrap("old"),
	         ktest_bootstrap("agg"));
	len = (size_t)snprintf(flows, sizeof(flows), "flows:\n");
	for (int i = 0; i < 3; i++) {
		rd_kafka_t *rk = ktest_producer(bed[i], NULL);
		char k0[32], k1[32], k2[32];
		ktest_msg_t m[3] = {
		    {.key = k0, .value = "v0"},
		    {.key = k1, .value = "v1", .headers = {"h", "x"}},
		    {.key = k2, .value = "v2", .headers = {"region", "north"}},
		};
		snprintf(k0, sizeof(k0), "%s-0", region[i]);
		snprintf(k1, sizeof(k1), "%s-1", region[i]);
		snprintf(k2, sizeof(k2), "%s-2", region[i]);
		ktest_create_topic(rk, topic, 1, NULL);
		ktest_destroy(rk);
		ktest_produce_msgs(bed[i], topic, 0, m, 3);
		len += (size_t)snprintf(flows + len, sizeof(flows) - len,
		                        "  - name: %s-to-agg\n"
		                        "    source: %s\n"
		                        "    target: agg\n"
		                        "    topics: {include: ['%s']}\n"
		                        "    policy: prefix\n"
		                        "    refresh.topics.interval: 1s\n"
		                        "    heartbeats.replication.enabled: false\n"
		                        "    pipeline:\n"
		                        "      - plugin: lua\n"
		                        "        script: %s\n"
		                        "        params: {header: region}\n",
		                        region[i], region[i], topic, path);
	}
	ktest_daemon_config_clusters(d, clusters, flows);
	ktest_daemon_start(d, NULL);
	for (int i = 0; i < 3; i++) {
		rd_kafka_t *rk = ktest_producer(bed[i], NULL);
		snprintf(name, sizeof(name), "%s-to-agg", region[i]);
		ktest_status_wait_caught_up(d, name, rk, topic, 1, WAIT_MS);
		ktest_destroy(rk);
	}
	ktest_daemon_finish(d);

	/* each region in its own topic: nothing mixed, nothing else */
	{
		rd_kafka_t *c = ktest_producer("agg", NULL);
		assert_int_equal(ktest_partitions(c, topic), -1);
		ktest_destroy(c);
	}
	for (int i = 0; i < 3; i++) {
		ktest_rec_t *s, *t;
		size_t ns, nt;
		char keys[256];
		snprintf(name, sizeof(name), "%s.%s", region[i], topic);
		ktest_keys_of("agg", name, 0, keys, sizeof(keys));
		snprintf(want, sizeof(want), "%s-0,%s-1,%s-2", region[i], region[i], region[i]);
		assert_string_equal(keys, want);
		s = ktest_read_partition(bed[i], topic, 0, &ns);
		t = ktest_read_partition("agg", name, 0, &nt);
		assert_int_equal(nt, 3);
		for (size_t j = 0; j < 3; j++) {
			assert_same_data(&t[j], &s[j]);
			assert_headers_start(&t[j], &s[j]);
		}
		ktest_assert_header(&t[0], "region", region[i]);
		ktest_assert_header(&t[1], "region", region[i]);
		ktest_assert_header(&t[1], "h", "x");
		ktest_assert_header(&t[2], "region", "north");
		/* and kmirrord's provenance header last (docs/active-active.md) */
		assert_int_equal(rd_kafka_header_cnt(t[0].headers), 2);
		assert_int_equal(rd_kafka_header_cnt(t[1].headers), 3);
		assert_int_equal(rd_kafka_header_cnt(t[2].headers), 2);
		for (size_t j = 0; j < 3; j++) {
			const char *hn;
			const void *hv;
			size_t hs;
			assert_int_equal(
			    rd_kafka_header_get_all(
			        t[j].headers, rd_kafka_header_cnt(t[j].headers) - 1, &hn, &hv, &hs),
			    0);
			assert_string_equal(hn, "kmirror.provenance");
		}
		ktest_recs_free(s, ns);
		ktest_recs_free(t, nt);
	}
}

/* drop_by_json.lua: records whose "env" is test or staging are dropped,
 * others copied; a value that is not JSON fails (dead-lettered here). */
static void test_drop_by_json(void **state) {
	static const ktest_msg_t m[] = {
	    {.key = "k-0", .value = "{\"env\":\"prod\",\"id\":0}"},
	    {.key = "drop-1", .value = "{\"id\":1,\"env\":\"test\"}"},
	    {.key = "k-2", .value = "{\"id\":2}"},
	    {.key = "drop-3", .value = "{ \"env\" : \"staging\" }"},
	    {.key = "k-4", .value = NULL},
	    {.key = "bad-5", .value = "env=test"},
	    {.key = "k-6", .value = "{\"env\":null,\"x\":{\"env\":\"test\"}}"},
	    {.key = "k-7", .value = "{\"env\":\"testing\"}"},
	};
	char topic[128], mirror[160], dlq[128], path[600], more[256], keys[512];
	ktest_daemon_t *d = &ktest_the_daemon;

	(void)state;
	new_topic(topic, sizeof(topic), mirror, sizeof(mirror), "luajson", 1);
	ktest_topic_name(dlq, sizeof(dlq), "luajsondlq");
	ktest_produce_msgs("a", topic, 0, m, sizeof(m) / sizeof(m[0]));
	snprintf(more, sizeof(more), "    on_error: dead-letter\n    dead_letter.topic: %s\n", dlq);
	start_lua(d, "json", topic, more, example(path, sizeof(path), "drop_by_json.lua"),
	          "{field: env, values: [test, staging]}");
	caught_up(d, "json", topic, 1);
	status_has(d, "json", "\"dropped\":2");
	status_has(d, "json", "\"dead_lettered\":1");
	ktest_daemon_finish(d);
	ktest_keys_of("b", mirror, 0, keys, sizeof(keys));
	assert_string_equal(keys, "k-0,k-2,k-4,k-6,k-7");
	ktest_keys_of("b", dlq, 0, keys, sizeof(keys));
	assert_string_equal(keys, "bad-5");
}

/* route_by_tenant.lua: records go to <prefix>.<tenant> (created by
 * kmirror), those without a tenant stay in the mirror topic, in order. */
static void test_route_by_tenant(void **state) {
	static const ktest_msg_t m[] = {
	    {.key = "acme-0", .value = "{\"tenant\":\"acme\",\"n\":0}"},
	    {.key = "globex-1", .value = "{\"n\":1,\"tenant\":\"globex\"}"},
	    {.key = "none-2", .value = "{\"n\":2}"},
	    {.key = "acme-3", .value = "{\"tenant\":\"acme\",\"n\":3}"},
	    {.key = "none-4", .value = NULL},
	    {.key = "globex-5", .value = "{\"tenant\":\"globex\"}"},
	};
	char topic[128], mirror[160], prefix[128], path[600], params[300], name[200], keys[512];
	ktest_daemon_t *d = &ktest_the_daemon;

	(void)state;
	new_topic(topic, sizeof(topic), mirror, sizeof(mirror), "luatenant", 1);
	ktest_topic_name(prefix, sizeof(prefix), "orders");
	ktest_produce_msgs("a", topic, 0, m, sizeof(m) / sizeof(m[0]));
	snprintf(params, sizeof(params), "{field: tenant, prefix: %s}", prefix);
	start_lua(d, "tenant", topic, NULL, example(path, sizeof(path), "route_by_tenant.lua"),
	          params);
	caught_up(d, "tenant", topic, 1);
	status_has(d, "tenant", "\"routed_topics_created\":2");
	ktest_daemon_finish(d);
	snprintf(name, sizeof(name), "%s.acme", prefix);
	ktest_keys_of("b", name, 0, keys, sizeof(keys));
	assert_string_equal(keys, "acme-0,acme-3");
	snprintf(name, sizeof(name), "%s.globex", prefix);
	ktest_keys_of("b", name, 0, keys, sizeof(keys));
	assert_string_equal(keys, "globex-1,globex-5");
	ktest_keys_of("b", mirror, 0, keys, sizeof(keys));
	assert_string_equal(keys, "none-2,none-4");
}

/* mask_pii.lua: user.email becomes "***"; every other byte of the value
 * (spacing, key order, a 64-bit integer, a number's format) is the
 * source's; values without the field are copied unchanged. */
static void test_mask_pii(void **state) {
	static const char *const in[] = {
	    "{\"id\": 9007199254740993, \"user\" : {\"name\":\"Ann\",  \"email\" : "
	    "\"ann@example.com\"}, \"n\":1.50}",
	    "{\"user\":{\"email\":\"bob@example.com\",\"phone\":\"+1 555\"},\"email\":\"keep@x\"}",
	    "{\"user\":{\"name\":\"no mail\"}}",
	    "{\"email\":\"top@level\"}",
	};
	static const char *const out[] = {
	    "{\"id\": 9007199254740993, \"user\" : {\"name\":\"Ann\",  \"email\" : \"***\"}, "
	    "\"n\":1.50}",
	    "{\"user\":{\"email\":\"***\",\"phone\":\"***\"},\"email\":\"keep@x\"}",
	    "{\"user\":{\"name\":\"no mail\"}}",
	    "{\"email\":\"top@level\"}",
	};
	ktest_msg_t m[4];
	char topic[128], mirror[160], path[600];
	ktest_daemon_t *d = &ktest_the_daemon;
	ktest_rec_t *s, *t;
	size_t ns, nt;

	(void)state;
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 4; i++) {
		m[i].key = "user";
		m[i].value = in[i];
		m[i].headers[0] = "trace";
		m[i].headers[1] = "t";
	}
	new_topic(topic, sizeof(topic), mirror, sizeof(mirror), "luamask", 1);
	ktest_produce_msgs("a", topic, 0, m, 4);
	start_lua(d, "mask", topic, "    on_error: stop\n",
	          example(path, sizeof(path), "mask_pii.lua"),
	          "{fields: [user.email, user.phone], mask: '***'}");
	caught_up(d, "mask", topic, 1);
	ktest_daemon_finish(d);
	s = ktest_read_partition("a", topic, 0, &ns);
	t = ktest_read_partition("b", mirror, 0, &nt);
	assert_int_equal(nt, 4);
	for (int i = 0; i < 4; i++) {
		if (!ktest_bytes_equal(t[i].value, t[i].value_len, out[i], strlen(out[i])))
			fail_msg("record %d is\n%.*s\nnot\n%s", i, (int)t[i].value_len,
			         (const char *)t[i].value, out[i]);
		assert_true(ktest_bytes_equal(t[i].key, t[i].key_len, s[i].key, s[i].key_len));
		assert_int_equal(t[i].timestamp, s[i].timestamp);
		assert_headers_start(&t[i], &s[i]);
		/* the source's one header, then kmirrord's provenance header */
		assert_int_equal(rd_kafka_header_cnt(t[i].headers), 2);
	}
	ktest_recs_free(s, ns);
	ktest_recs_free(t, nt);
}

/* window_counts.lua: per-key counts of 2-second windows, emitted once each
 * window closed: records of two windows (timestamps a few seconds ahead, so
 * that both are still open when the records come) give one summary per key
 * and window, with the window's bounds and count. The records themselves are
 * copied. */
static void test_window_counts(void **state) {
	char topic[128], mirror[160], summary[128], path[600], params[300], want[5][128];
	ktest_msg_t m[7];
	static const char *const keys[] = {"a", "b", "a", "a", "b", "a", "c"};
	ktest_daemon_t *d = &ktest_the_daemon;
	rd_kafka_t *b = ktest_producer("b", NULL);
	ktest_rec_t *t;
	size_t nt;
	int64_t w;

	(void)state;
	new_topic(topic, sizeof(topic), mirror, sizeof(mirror), "luawin", 1);
	ktest_topic_name(summary, sizeof(summary), "luacounts");
	ktest_create_topic(b, summary, 1, NULL);
	snprintf(params, sizeof(params), "{topic: %s, size: 2000}", summary);
	start_lua(d, "win", topic, NULL, example(path, sizeof(path), "window_counts.lua"), params);
	/* the window after next: it opens 2 to 4 s from now */
	w = (wall_ms() / 2000 + 2) * 2000;
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 7; i++) {
		m[i].key = keys[i];
		m[i].value = "x";
		m[i].timestamp = w + (i < 5 ? 10 * i : 2000 + 10 * i);
	}
	ktest_produce_msgs("a", topic, 0, m, 7);
	caught_up(d, "win", topic, 1);
	ktest_wait_count(b, summary, 4, WAIT_MS);
	ktest_daemon_finish(d);

	t = ktest_read_partition("b", summary, 0, &nt);
	assert_int_equal(nt, 4);
	snprintf(want[0], sizeof(want[0]),
	         "a {\"window_start\":%" PRId64 ",\"window_end\":%" PRId64 ",\"count\":3}", w,
	         w + 2000);
	snprintf(want[1], sizeof(want[1]),
	         "b {\"window_start\":%" PRId64 ",\"window_end\":%" PRId64 ",\"count\":2}", w,
	         w + 2000);
	snprintf(want[2], sizeof(want[2]),
	         "a {\"window_start\":%" PRId64 ",\"window_end\":%" PRId64 ",\"count\":1}",
	         w + 2000, w + 4000);
	snprintf(want[3], sizeof(want[3]),
	         "c {\"window_start\":%" PRId64 ",\"window_end\":%" PRId64 ",\"count\":1}",
	         w + 2000, w + 4000);
	/* a window's summaries in no set order of keys, windows in order */
	for (int i = 0; i < 4; i++) {
		char got[160];
		int found = 0;
		snprintf(got, sizeof(got), "%.*s %.*s", (int)t[i].key_len, (const char *)t[i].key,
		         (int)t[i].value_len, (const char *)t[i].value);
		for (int j = i < 2 ? 0 : 2; j < (i < 2 ? 2 : 4); j++)
			found |= !strcmp(got, want[j]);
		if (!found)
			fail_msg("summary %d is '%s'", i, got);
		assert_int_equal(t[i].timestamp, i < 2 ? w : w + 2000);
	}
	ktest_recs_free(t, nt);
	assert_int_equal(ktest_count(b, mirror), 7);
	ktest_destroy(b);
}

/* ---- script errors and on_error --------------------------------------------- */

/* Fails records keyed bad-* with an error (line 4) and those keyed fail-*
 * with r:fail (line 6). */
static const char fail_script[] = "-- fails some records\n"
                                  "function process_record(r)\n"
                                  "  if r.key:find(\"^bad\") then\n"
                                  "    error(\"refusing \" .. r.key)\n"
                                  "  elseif r.key:find(\"^fail\") then\n"
                                  "    r:fail(\"not this one\")\n"
                                  "  end\n"
                                  "end\n";

/* A topic of two partitions, p0: k-0 k-1 k-2 bad-3 k-4 k-5, p1: k-100
 * k-101 fail-102 k-103; flow @p flow from a to b with @p more through
 * fail_script (its path in @p script). */
static void fail_setup(ktest_daemon_t *d, const char *flow, const char *more, char *topic,
                       size_t tsize, char *mirror, size_t msize, char *script, size_t ssize) {
	static const ktest_msg_t p0[] = {
	    {.key = "k-0", .value = "v-0", .headers = {"h", "0"}},
	    {.key = "k-1", .value = "v-1", .headers = {"h", "1"}},
	    {.key = "k-2", .value = "v-2", .headers = {"h", "2"}},
	    {.key = "bad-3", .value = "v-3", .headers = {"h", "3", "hnull", NULL}},
	    {.key = "k-4", .value = "v-4", .headers = {"h", "4"}},
	    {.key = "k-5", .value = "v-5", .headers = {"h", "5"}},
	};
	static const ktest_msg_t p1[] = {
	    {.key = "k-100", .value = "v-100"},
	    {.key = "k-101", .value = "v-101"},
	    {.key = "fail-102", .value = "v-102", .headers = {"h", "102"}},
	    {.key = "k-103", .value = "v-103"},
	};
	char name[64];

	new_topic(topic, tsize, mirror, msize, flow, 2);
	ktest_produce_msgs("a", topic, 0, p0, 6);
	ktest_produce_msgs("a", topic, 1, p1, 4);
	snprintf(name, sizeof(name), "%s.lua", flow);
	write_script(script, ssize, name, fail_script);
	start_lua(d, flow, topic, more, script, NULL);
}

/* on_error: stop: partition 0 stops at bad-3 with the script's file:line
 * in its reason and in the log; partition 1 (whose record the script fails
 * with r:fail) stops at fail-102. A restart with a script that fails none
 * copies the rest: nothing was lost, nothing copied twice. */
static void test_on_error_stop(void **state) {
	char topic[128], mirror[160], script[600], want[1200], keys[512];
	ktest_daemon_t *d = &ktest_the_daemon;

	(void)state;
	fail_setup(d, "luastop", "    on_error: stop\n", topic, sizeof(topic), mirror,
	           sizeof(mirror), script, sizeof(script));
	assert_int_equal(ktest_status_wait(d, "luastop", "stopped", 2, WAIT_MS), 2);
	ktest_status_wait(d, "luastop", "records", 5, WAIT_MS);
	assert_int_equal(ktest_status_part(d, "luastop", topic, 0, "next"), 3);
	assert_int_equal(ktest_status_part(d, "luastop", topic, 1, "next"), 2);
	snprintf(want, sizeof(want),
	         "\"reason\":\"stage luastop/flows[0].pipeline[0] failed the record at offset 3: "
	         "%s:4: refusing bad-3\"",
	         script);
	status_has(d, "luastop", want);
	snprintf(want, sizeof(want),
	         "\"reason\":\"stage luastop/flows[0].pipeline[0] failed the record at offset 2: "
	         "%s:6: not this one\"",
	         script);
	status_has(d, "luastop", want);
	snprintf(want, sizeof(want), "%s:4: refusing bad-3", script);
	ktest_log_wait(d, want, WAIT_MS);
	status_has(d, "luastop", "\"script_errors\":2");
	assert_int_equal(ktest_daemon_stop(d, SIGTERM, 60000), 0);
	ktest_keys_of("b", mirror, 0, keys, sizeof(keys));
	assert_string_equal(keys, "k-0,k-1,k-2");
	ktest_keys_of("b", mirror, 1, keys, sizeof(keys));
	assert_string_equal(keys, "k-100,k-101");

	/* the cause fixed: both partitions resume where they stopped */
	write_script(script, sizeof(script), "luastop.lua", "-- fails nothing\n");
	ktest_daemon_start(d, NULL);
	caught_up(d, "luastop", topic, 2);
	assert_int_equal(ktest_status_wait(d, "luastop", "active", 2, WAIT_MS), 2);
	ktest_daemon_finish(d);
	ktest_keys_of("b", mirror, 0, keys, sizeof(keys));
	assert_string_equal(keys, "k-0,k-1,k-2,bad-3,k-4,k-5");
	ktest_keys_of("b", mirror, 1, keys, sizeof(keys));
	assert_string_equal(keys, "k-100,k-101,fail-102,k-103");
}

/* on_error: skip: the failed records are dropped and counted, the rest
 * copied, both partitions active. */
static void test_on_error_skip(void **state) {
	char topic[128], mirror[160], script[600], want[700], keys[512];
	ktest_daemon_t *d = &ktest_the_daemon;

	(void)state;
	fail_setup(d, "luaskip", "    on_error: skip\n", topic, sizeof(topic), mirror,
	           sizeof(mirror), script, sizeof(script));
	caught_up(d, "luaskip", topic, 2);
	assert_int_equal(ktest_status_wait(d, "luaskip", "skipped", 2, WAIT_MS), 2);
	assert_int_equal(ktest_status_wait(d, "luaskip", "active", 2, WAIT_MS), 2);
	assert_int_equal(ktest_status_part(d, "luaskip", topic, 0, "skipped"), 1);
	assert_int_equal(ktest_status_part(d, "luaskip", topic, 1, "skipped"), 1);
	status_has(d, "luaskip", "\"script_errors\":2");
	snprintf(want, sizeof(want), "%s:4: refusing bad-3", script);
	ktest_log_wait(d, want, WAIT_MS);
	ktest_daemon_finish(d);
	ktest_keys_of("b", mirror, 0, keys, sizeof(keys));
	assert_string_equal(keys, "k-0,k-1,k-2,k-4,k-5");
	ktest_keys_of("b", mirror, 1, keys, sizeof(keys));
	assert_string_equal(keys, "k-100,k-101,k-103");
}

/* on_error: dead-letter: each failed record goes unchanged to the
 * dead-letter topic, its headers naming the script's file:line, the stage
 * and the source; the rest is copied. */
static void test_on_error_dead_letter(void **state) {
	char topic[128], mirror[160], script[600], dlq[128], more[256], want[700], keys[512];
	ktest_daemon_t *d = &ktest_the_daemon;
	ktest_rec_t *r, *s0, *s1;
	size_t n, n0, n1;

	(void)state;
	ktest_topic_name(dlq, sizeof(dlq), "luadlq");
	snprintf(more, sizeof(more), "    on_error: dead-letter\n    dead_letter.topic: %s\n", dlq);
	fail_setup(d, "luadl", more, topic, sizeof(topic), mirror, sizeof(mirror), script,
	           sizeof(script));
	caught_up(d, "luadl", topic, 2);
	assert_int_equal(ktest_status_wait(d, "luadl", "dead_lettered", 2, WAIT_MS), 2);
	ktest_daemon_finish(d);
	ktest_keys_of("b", mirror, 0, keys, sizeof(keys));
	assert_string_equal(keys, "k-0,k-1,k-2,k-4,k-5");
	ktest_keys_of("b", mirror, 1, keys, sizeof(keys));
	assert_string_equal(keys, "k-100,k-101,k-103");

	r = ktest_read_all("b", dlq, &n);
	assert_int_equal(n, 2);
	s0 = ktest_read_partition("a", topic, 0, &n0);
	s1 = ktest_read_partition("a", topic, 1, &n1);
	for (int i = 0; i < 2; i++) {
		const ktest_rec_t *x = ktest_find_key(r, n, i ? "fail-102" : "bad-3");
		const ktest_rec_t *src = i ? &s1[2] : &s0[3];
		assert_same_data(x, src);
		assert_headers_start(x, src);
		snprintf(want, sizeof(want), i ? "%s:6: not this one" : "%s:4: refusing bad-3",
		         script);
		ktest_assert_header(x, "kmirror.error.message", want);
		ktest_assert_header(x, "kmirror.error.stage", "luadl/flows[0].pipeline[0]");
		ktest_assert_header(x, "kmirror.error.code", "KM_ERR_STAGE");
		ktest_assert_header(x, "kmirror.error.source.topic", topic);
		ktest_assert_header(x, "kmirror.error.source.partition", i ? "1" : "0");
		ktest_assert_header(x, "kmirror.error.source.offset", i ? "2" : "3");
	}
	ktest_recs_free(r, n);
	ktest_recs_free(s0, n0);
	ktest_recs_free(s1, n1);
}

/* ---- SIGHUP -------------------------------------------------------------------- */

static const char version_script[] = "-- stamps the script's version\n"
                                     "function process_record(r)\n"
                                     "  r:set_header(\"version\", \"%d\")\n"
                                     "end\n";

static void write_version(char *path, size_t size, int version) {
	char text[256];

	snprintf(text, sizeof(text), version_script, version);
	write_script(path, size, "luahup.lua", text);
}

/* SIGHUP with a changed script restarts the flow with it: records copied
 * before carry version 1, those after version 2, each exactly once, in
 * order. A script that does not load refuses the reload, says so in the
 * log, and the running one goes on. */
static void test_sighup_reload(void **state) {
	char topic[128], mirror[160], script[600], keys[1024], want[1024];
	ktest_daemon_t *d = &ktest_the_daemon;
	ktest_rec_t *t;
	size_t nt;

	(void)state;
	new_topic(topic, sizeof(topic), mirror, sizeof(mirror), "luahup", 1);
	write_version(script, sizeof(script), 1);
	ktest_produce_seq("a", topic, 0, "k", "one", 0, 10);
	start_lua(d, "hup", topic, NULL, script, NULL);
	caught_up(d, "hup", topic, 1);

	write_version(script, sizeof(script), 2);
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	ktest_log_wait(d, "flow hup changed: restarting it", WAIT_MS);
	ktest_log_wait(d, "reload done: 1 flow(s) running", WAIT_MS);
	ktest_produce_seq("a", topic, 0, "k", "two", 10, 10);
	caught_up(d, "hup", topic, 1);

	/* a syntax error: refused, version 2 goes on */
	write_script(
	    script, sizeof(script), "luahup.lua",
	    "-- broken\nfunction process_record(r)\n  r:set_header(\"version\" \"3\")\nend\n");
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	snprintf(want, sizeof(want), "reload failed, keeping the running configuration: ");
	ktest_log_wait(d, want, WAIT_MS);
	snprintf(want, sizeof(want), "%s:3: ", script);
	ktest_log_wait(d, want, WAIT_MS);
	ktest_log_lines(d, "", "reload failed");
	ktest_produce_seq("a", topic, 0, "k", "three", 20, 5);
	caught_up(d, "hup", topic, 1);
	assert_int_equal(ktest_log_count(d, "changed: restarting it"), 1);
	ktest_daemon_finish(d);

	ktest_keys_of("b", mirror, 0, keys, sizeof(keys));
	assert_string_equal(keys, "k-0,k-1,k-2,k-3,k-4,k-5,k-6,k-7,k-8,k-9,k-10,k-11,k-12,k-13,"
	                          "k-14,k-15,k-16,k-17,k-18,k-19,k-20,k-21,k-22,k-23,k-24");
	t = ktest_read_partition("b", mirror, 0, &nt);
	for (size_t i = 0; i < nt; i++)
		ktest_assert_header(&t[i], "version", i < 10 ? "1" : "2");
	ktest_recs_free(t, nt);
}

static int rm_scripts(void) {
	char cmd[400];

	if (!scripts_dir[0] || getenv("KTEST_KEEP"))
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scripts_dir);
	return system(cmd);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_drop_by_header, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_fan_out, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_fan_in, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_drop_by_json, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_route_by_tenant, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_mask_pii, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_window_counts, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_on_error_stop, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_on_error_skip, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_on_error_dead_letter, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_sighup_reload, ktest_daemon_teardown),
	};
	int rc;

	ktest_require_testbed("a", "b", NULL);
	snprintf(scripts_dir, sizeof(scripts_dir), "%s/ktest-lua-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(scripts_dir)) {
		perror("mkdtemp");
		return 1;
	}
	ktest_tap_begin();
	rc = cmocka_run_group_tests_name("lua", tests, NULL, NULL);
	ktest_tap_end();
	rm_scripts();
	return rc;
}
