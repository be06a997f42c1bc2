/* Unit tests: the record-stage transform plugins (header_insert,
 * header_drop, topic_router, filter, timestamp, partition), the real .so
 * files through libltdl, with the fake host plus the core's own batches,
 * arena and murmur2 (what kmirrord hands a stage). */
#include "config.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <kmirror/plugin.h>

#include "fakehost.h"
#include "murmur2.h"
#include "pipeline.h"

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

enum { P_HEADER_INSERT, P_HEADER_DROP, P_TOPIC_ROUTER, P_FILTER, P_TIMESTAMP, P_PARTITION, P_CNT };
static const char *const names[P_CNT] = {"header_insert", "header_drop", "topic_router",
                                         "filter",        "timestamp",   "partition"};
static fh_module_t *mods[P_CNT];
static const km_plugin_t *pls[P_CNT];

/* The fake host with the stage calls: the core's batches and murmur2, and
 * target partition counts from tp_topics/tp_counts, each call counted. */
static km_host_api_t host;
static const char *tp_topics[4];
static int32_t tp_counts[4];
static int tp_calls;

static int32_t fake_target_partitions(km_ctx_t *ctx, const char *topic) {
	(void)ctx;
	tp_calls++;
	for (size_t i = 0; i < 4 && tp_topics[i]; i++)
		if (!strcmp(tp_topics[i], topic))
			return tp_counts[i];
	return -1;
}

static km_batchbuf_t bb;
static km_batch_t *const b = &bb.pub;

/* ---- helpers ------------------------------------------------------------- */

static void make(fh_instance_t *fi, int p, const char *const *kv) {
	km_err_t err = fh_instance_create_with(fi, &host, pls[p], "A", "B", kv);

	if (err != KM_OK)
		fail_msg("%s create: %d: %s", names[p], (int)err, fi->fhi_errstr);
	assert_non_null(fi->fhi_inst);
}

/* create() refuses @p kv with @p want, naming @p key (item @p item) to the
 * host, which puts "FILE:LINE:COL: key 'KEY': " in front. */
static void refuse(int p, const char *const *kv, const char *key, size_t item, const char *want) {
	fh_instance_t fi;
	const char *named;
	size_t named_item = 99;

	assert_int_equal(fh_instance_create_with(&fi, &host, pls[p], "A", "B", kv), KM_ERR_INVALID);
	assert_null(fi.fhi_inst);
	if (strcmp(fi.fhi_errstr, want) != 0)
		fail_msg("%s: errstr\n  \"%s\"\nwant\n  \"%s\"", names[p], fi.fhi_errstr, want);
	named = fh_ctx_param_error(fi.fhi_ctx, &named_item);
	if (!named || strcmp(named, key) != 0)
		fail_msg("%s: named key %s, want %s", names[p], named ? named : "(none)", key);
	assert_int_equal(named_item, item);
	fh_instance_destroy(&fi);
}

static km_stage_action_t run(fh_instance_t *fi) {
	char errstr[256] = "";
	km_stage_action_t a =
	    fi->fhi_plugin->stage->process(fi->fhi_inst, b, errstr, sizeof(errstr));

	if (a != KM_STAGE_OK)
		fail_msg("%s failed the batch: %s", fi->fhi_plugin->name, errstr);
	return a;
}

/* A record from the source: topic "a.orders" partition 3, offset 42. */
static km_record_t *rec(const void *key, size_t key_len, const void *value, size_t value_len,
                        int64_t ts) {
	km_record_t *r = km_batch_add(b, NULL);

	assert_non_null(r);
	r->key = key;
	r->key_len = key_len;
	r->value = value;
	r->value_len = value_len;
	r->timestamp = ts;
	r->topic = "a.orders";
	r->partition = 3;
	r->source_topic = "orders";
	r->source_partition = 3;
	r->source_offset = 42;
	return r;
}

#define REC(k, v, ts) rec(k, sizeof(k) - 1, v, sizeof(v) - 1, ts)
#define R(i)          km_batch_record(b, i)

static void assert_header(const km_header_t *h, const char *name, const void *value, size_t len) {
	assert_string_equal(h->name, name);
	if (!value) {
		assert_null(h->value);
		return;
	}
	assert_non_null(h->value);
	if (h->value_len != len || memcmp(h->value, value, len) != 0)
		fail_msg("header %s: '%.*s' (%zu bytes), want '%.*s' (%zu bytes)", name,
		         (int)h->value_len, (const char *)h->value, h->value_len, (int)len,
		         (const char *)value, len);
}

#define HDR(h, name, lit) assert_header(h, name, lit, sizeof(lit) - 1)

/* Headers "a: 1", "b: \0x\0" (binary), "a: 2", "n: null". */
static const km_header_t four[] = {
    {.name = "a", .value = "1", .value_len = 1},
    {.name = "b", .value = "\0x\0", .value_len = 3},
    {.name = "a", .value = "2", .value_len = 1},
    {.name = "n", .value = NULL, .value_len = 0},
};

static void with_four(km_record_t *r) {
	r->headers = four;
	r->header_cnt = 4;
}

static int batch_setup(void **state) {
	(void)state;
	tp_calls = 0;
	memset(tp_topics, 0, sizeof(tp_topics));
	return km_batchbuf_init(&bb, 4, 1024, 1 << 20) == KM_OK ? 0 : -1;
}

static int batch_teardown(void **state) {
	(void)state;
	km_batchbuf_free(&bb);
	return 0;
}

/* ---- every plugin -------------------------------------------------------- */

static void test_descriptors(void **state) {
	(void)state;
	for (int p = 0; p < P_CNT; p++) {
		const km_plugin_t *pl = pls[p];

		assert_int_equal(pl->abi_major, KM_PLUGIN_ABI_MAJOR);
		assert_int_equal(pl->size, sizeof(km_plugin_t));
		assert_string_equal(pl->name, names[p]);
		assert_int_equal(pl->kind, KM_PLUGIN_STAGE);
		assert_int_equal(pl->flags, 0);
		assert_non_null(pl->description);
		assert_non_null(pl->create);
		assert_non_null(pl->destroy);
		assert_null(pl->policy);
		assert_null(pl->topic_filter);
		assert_non_null(pl->stage);
		assert_non_null(pl->stage->process);
		assert_null(pl->stage->tick);
		assert_non_null(pl->params);
		for (const km_param_t *pp = pl->params; pp->name; pp++)
			if (!pp->doc || !*pp->doc)
				fail_msg("%s: parameter %s has no doc", names[p], pp->name);
		/* only the descriptor is exported, not the shared helpers */
		assert_null(fh_module_sym(mods[p], "tx_refuse"));
		assert_null(fh_module_sym(mods[p], "tx_now_ms"));
		assert_null(fh_module_sym(mods[p], "tx_regex_compile"));
	}
}

/* A batch the arena cannot hold fails whole, and says what to change. */
static void test_arena_full(void **state) {
	const char *const *kvs[] = {KV("name", "h", "value", "x"), KV("names", "a"),
	                            KV("regex", "a\\.(.*)", "replacement", "b.$1")};
	char errstr[256];

	(void)state;
	km_batchbuf_free(&bb);
	assert_int_equal(km_batchbuf_init(&bb, 4, 4, 0), KM_OK);
	for (int p = P_HEADER_INSERT; p <= P_TOPIC_ROUTER; p++) {
		fh_instance_t fi;
		char want[256];

		make(&fi, p, kvs[p]);
		km_batchbuf_reset(&bb);
		with_four(REC("k", "v", 1));
		errstr[0] = '\0';
		assert_int_equal(
		    fi.fhi_plugin->stage->process(fi.fhi_inst, b, errstr, sizeof(errstr)),
		    KM_STAGE_ERROR);
		snprintf(want, sizeof(want),
		         "%s: the batch's arena is full (its bound is the flow's "
		         "max.inflight.bytes); raise max.inflight.bytes or lower batch.records",
		         names[p]);
		assert_string_equal(errstr, want);
		fh_instance_destroy(&fi);
	}
}

/* ---- header_insert ------------------------------------------------------- */

static void test_header_insert_static(void **state) {
	fh_instance_t fi;

	(void)state;
	make(&fi, P_HEADER_INSERT, KV("name", "origin", "value", "dc-1"));
	REC("k", "v", 1);
	with_four(REC("k", "v", 2));
	rec(NULL, 0, NULL, 0, 3); /* null key, tombstone */
	REC("gone", "v", 4)->flags = KM_RECORD_F_DROP;
	run(&fi);

	assert_int_equal(R(0)->header_cnt, 1);
	HDR(&R(0)->headers[0], "origin", "dc-1");
	/* after the record's own, repeated, binary and null ones, in order */
	assert_int_equal(R(1)->header_cnt, 5);
	for (int i = 0; i < 4; i++)
		assert_header(&R(1)->headers[i], four[i].name, four[i].value, four[i].value_len);
	HDR(&R(1)->headers[4], "origin", "dc-1");
	assert_int_equal(R(2)->header_cnt, 1);
	HDR(&R(2)->headers[0], "origin", "dc-1");
	assert_null(R(2)->key);
	assert_null(R(2)->value);
	/* a dropped record is left alone */
	assert_int_equal(R(3)->header_cnt, 0);
	/* the record's own header array is never written */
	assert_string_equal(four[3].name, "n");
	fh_instance_destroy(&fi);

	/* an empty value is an empty header, not a null one */
	km_batchbuf_reset(&bb);
	make(&fi, P_HEADER_INSERT, KV("name", "e", "value", ""));
	REC("k", "v", 1);
	run(&fi);
	HDR(&R(0)->headers[0], "e", "");
	fh_instance_destroy(&fi);
}

static void test_header_insert_template(void **state) {
	fh_instance_t fi;
	km_record_t *r;

	(void)state;
	make(&fi, P_HEADER_INSERT,
	     KV("name", "src", "value", "%{source.topic}/%{source.partition}"));
	REC("k", "v", 1);
	r = REC("k", "v", 2);
	r->source_topic = "payments";
	r->source_partition = 11;
	run(&fi);
	HDR(&R(0)->headers[0], "src", "orders/3");
	HDR(&R(1)->headers[0], "src", "payments/11");
	fh_instance_destroy(&fi);

	km_batchbuf_reset(&bb);
	make(&fi, P_HEADER_INSERT,
	     KV("name", "all", "value",
	        "%{source.cluster}|%{source.topic}|%{source.partition}|"
	        "%{source.offset}|%{timestamp}|%%{x}|100%|%%|%"));
	REC("k", "v", 1700000000123);
	r = REC("k", "v", -1);
	r->source_offset = INT64_MAX;
	/* a record a stage added with no source */
	assert_non_null(km_batch_add(b, NULL));
	run(&fi);
	HDR(&R(0)->headers[0], "all", "A|orders|3|42|1700000000123|%{x}|100%|%%|%");
	HDR(&R(1)->headers[0], "all", "A|orders|3|9223372036854775807|-1|%{x}|100%|%%|%");
	HDR(&R(2)->headers[0], "all", "A||-1|-1|-1|%{x}|100%|%%|%");
	fh_instance_destroy(&fi);
}

static void test_header_insert_replace(void **state) {
	fh_instance_t fi;

	(void)state;
	make(&fi, P_HEADER_INSERT, KV("name", "a", "value", "new", "replace", "true"));
	with_four(REC("k", "v", 1));
	REC("k", "v", 2);
	run(&fi);
	assert_int_equal(R(0)->header_cnt, 3);
	HDR(&R(0)->headers[0], "b", "\0x\0");
	assert_header(&R(0)->headers[1], "n", NULL, 0);
	HDR(&R(0)->headers[2], "a", "new");
	assert_int_equal(R(1)->header_cnt, 1);
	HDR(&R(1)->headers[0], "a", "new");
	fh_instance_destroy(&fi);
}

#define HI_FIELDS                                                                                  \
	"%{source.cluster}, %{source.topic}, %{source.partition}, %{source.offset} and "           \
	"%{timestamp}"

static void test_header_insert_refused(void **state) {
	(void)state;
	refuse(P_HEADER_INSERT, KV("name", "", "value", "x"), "name", 0,
	       "a header name cannot be empty; give one, e.g. name: origin");
	refuse(P_HEADER_INSERT, KV("name", "h", "value", "%{source.host}"), "value", 0,
	       "unknown field %{source.host}; the fields are " HI_FIELDS
	       " (a literal '%{' is %%{)");
	refuse(P_HEADER_INSERT, KV("name", "h", "value", "x-%{}"), "value", 0,
	       "unknown field %{}; the fields are " HI_FIELDS " (a literal '%{' is %%{)");
	refuse(P_HEADER_INSERT, KV("name", "h", "value", "%{Source.Topic}"), "value", 0,
	       "unknown field %{Source.Topic}; the fields are " HI_FIELDS
	       " (a literal '%{' is %%{)");
	refuse(P_HEADER_INSERT, KV("name", "h", "value", "ab%{source.topic"), "value", 0,
	       "the field at offset 2 has no closing '}'; write a field as %{NAME}: " HI_FIELDS
	       ", and a literal '%{' as %%{");
}

/* ---- header_drop --------------------------------------------------------- */

static void test_header_drop_names(void **state) {
	fh_instance_t fi;
	static const km_header_t other[] = {{.name = "keep", .value = "1", .value_len = 1}};

	(void)state;
	make(&fi, P_HEADER_DROP, KV("names", "a, n"));
	with_four(REC("k", "v", 1));
	REC("k", "v", 2)->headers = other, R(1)->header_cnt = 1;
	rec(NULL, 0, NULL, 0, 3);
	run(&fi);
	/* every "a", the null-valued "n"; the binary one stays intact */
	assert_int_equal(R(0)->header_cnt, 1);
	HDR(&R(0)->headers[0], "b", "\0x\0");
	/* nothing to remove: the same array, not a copy */
	assert_ptr_equal(R(1)->headers, other);
	assert_int_equal(R(1)->header_cnt, 1);
	assert_int_equal(R(2)->header_cnt, 0);
	assert_int_equal(fh_ctx_counter(fi.fhi_ctx, "headers_dropped"), 3);
	fh_instance_destroy(&fi);

	/* all of them */
	km_batchbuf_reset(&bb);
	make(&fi, P_HEADER_DROP, KV("names", "a,b,n"));
	with_four(REC("k", "v", 1));
	run(&fi);
	assert_int_equal(R(0)->header_cnt, 0);
	assert_int_equal(fh_ctx_counter(fi.fhi_ctx, "headers_dropped"), 4);
	fh_instance_destroy(&fi);
}

static void test_header_drop_regex(void **state) {
	fh_instance_t fi;
	static const km_header_t hs[] = {
	    {.name = "x-trace", .value = "t", .value_len = 1},
	    {.name = "X-Up", .value = "u", .value_len = 1},
	    {.name = "id", .value = "i", .value_len = 1},
	    {.name = "x-", .value = NULL, .value_len = 0},
	    {.name = "bad\xff", .value = "b", .value_len = 1},
	    {.name = "ax-trace", .value = "a", .value_len = 1},
	};

	(void)state;
	make(&fi, P_HEADER_DROP, KV("regex", "x-.*", "names", "id"));
	REC("k", "v", 1)->headers = hs, R(0)->header_cnt = 6;
	run(&fi);
	/* whole names, case-sensitive; a name that is not UTF-8 just does not match */
	assert_int_equal(R(0)->header_cnt, 3);
	HDR(&R(0)->headers[0], "X-Up", "u");
	HDR(&R(0)->headers[1], "bad\xff", "b");
	HDR(&R(0)->headers[2], "ax-trace", "a");
	assert_int_equal(fh_ctx_counter(fi.fhi_ctx, "headers_dropped"), 3);
	assert_string_equal(fh_ctx_log(fi.fhi_ctx), "");
	fh_instance_destroy(&fi);
}

static void test_header_drop_refused(void **state) {
	(void)state;
	refuse(P_HEADER_DROP, NULL, "names", 0,
	       "no header to remove; give names (a list of header names), regex (a pattern for "
	       "whole header names), or both");
	refuse(P_HEADER_DROP, KV("names", ""), "names", 0,
	       "no header to remove; give names (a list of header names), regex (a pattern for "
	       "whole header names), or both");
	refuse(P_HEADER_DROP, KV("names", "a,,b"), "names", 2,
	       "a header name cannot be empty; give the names of the headers to remove");
	refuse(P_HEADER_DROP, KV("regex", "x-("), "regex", 0,
	       "'x-(' is not a valid regular expression: missing closing parenthesis at offset 3; "
	       "give a PCRE2 pattern, matched against whole header names");
}

/* ---- topic_router -------------------------------------------------------- */

static void test_topic_router(void **state) {
	fh_instance_t fi;

	(void)state;
	make(&fi, P_TOPIC_ROUTER, KV("regex", "a\\.(orders|payments)", "replacement", "$1-copy"));
	REC("k", "v", 1);
	REC("k", "v", 2);
	REC("k", "v", 3)->topic = "a.users";
	REC("k", "v", 4)->topic = "a.payments";
	REC("k", "v", 5)->topic = "xa.orders"; /* the whole name must match */
	REC("k", "v", 6);
	run(&fi);
	assert_string_equal(R(0)->topic, "orders-copy");
	assert_string_equal(R(1)->topic, "orders-copy");
	/* made once for a run of records with one topic */
	assert_ptr_equal(R(0)->topic, R(1)->topic);
	assert_string_equal(R(2)->topic, "a.users");
	assert_string_equal(R(3)->topic, "payments-copy");
	assert_string_equal(R(4)->topic, "xa.orders");
	assert_string_equal(R(5)->topic, "orders-copy");
	for (int i = 0; i < 6; i++) {
		assert_int_equal(R(i)->flags, 0);
		assert_int_equal(R(i)->partition, 3); /* the partition is the next stage's */
	}
	assert_int_equal(fh_ctx_counter(fi.fhi_ctx, "routed"), 4);
	assert_int_equal(fh_ctx_counter(fi.fhi_ctx, "invalid_topic"), 0);
	fh_instance_destroy(&fi);
}

/* $0, a group that did not take part, a literal text only replacement
 * (RegexRouter's "merge" use), and Connect's own example. */
static void test_topic_router_groups(void **state) {
	fh_instance_t fi;

	(void)state;
	make(&fi, P_TOPIC_ROUTER, KV("regex", "(x)?a\\.(.*)", "replacement", "[$1]$0.$2"));
	REC("k", "v", 1);
	run(&fi);
	assert_int_equal(R(0)->flags, KM_RECORD_F_ERROR); /* "[" is not a topic character */
	fh_instance_destroy(&fi);

	km_batchbuf_reset(&bb);
	make(&fi, P_TOPIC_ROUTER, KV("regex", "(x)?a\\.(.*)", "replacement", "_$1_$0.$2"));
	REC("k", "v", 1);
	run(&fi);
	assert_string_equal(R(0)->topic, "__a.orders.orders");
	fh_instance_destroy(&fi);

	km_batchbuf_reset(&bb);
	make(&fi, P_TOPIC_ROUTER, KV("regex", "a\\..*", "replacement", "all"));
	REC("k", "v", 1);
	REC("k", "v", 2)->topic = "a.users";
	run(&fi);
	assert_string_equal(R(0)->topic, "all");
	assert_string_equal(R(1)->topic, "all");
	fh_instance_destroy(&fi);

	km_batchbuf_reset(&bb);
	make(&fi, P_TOPIC_ROUTER, KV("regex", "(.*)\\.(.*)", "replacement", "$2-$1"));
	REC("k", "v", 1);
	run(&fi);
	assert_string_equal(R(0)->topic, "orders-a");
	fh_instance_destroy(&fi);
}

/* A name Kafka would refuse fails its records (on_error decides), saying
 * what was made of what. */
static void test_topic_router_invalid(void **state) {
	fh_instance_t fi;
	char big[300];

	(void)state;
	make(&fi, P_TOPIC_ROUTER, KV("regex", "a\\.(.*)", "replacement", "x\\$y/$1"));
	REC("k", "v", 1);
	REC("k", "v", 2)->flags = KM_RECORD_F_DROP;
	run(&fi);
	assert_int_equal(R(0)->flags, KM_RECORD_F_ERROR);
	assert_string_equal(R(0)->topic, "a.orders");
	assert_string_equal(R(0)->error,
	                    "topic_router made 'x$y/orders' of 'a.orders', not a topic name Kafka "
	                    "accepts (1 to 249 of a-z A-Z 0-9 . _ -); check regex and replacement");
	assert_int_equal(R(1)->flags, KM_RECORD_F_DROP);
	assert_int_equal(fh_ctx_counter(fi.fhi_ctx, "invalid_topic"), 1);
	fh_instance_destroy(&fi);

	/* too long, and empty */
	km_batchbuf_reset(&bb);
	memset(big, 'o', 250);
	big[250] = '\0';
	make(&fi, P_TOPIC_ROUTER, KV("regex", "(.*)", "replacement", "$1"));
	REC("k", "v", 1)->topic = big;
	REC("k", "v", 2)->topic = big + 1; /* 249: fine */
	REC("k", "v", 3)->topic = "";
	REC("k", "v", 4)->topic = "..";
	run(&fi);
	assert_int_equal(R(0)->flags, KM_RECORD_F_ERROR);
	assert_int_equal(R(1)->flags, 0);
	assert_int_equal(strlen(R(1)->topic), 249);
	assert_int_equal(R(2)->flags, KM_RECORD_F_ERROR);
	assert_int_equal(R(3)->flags, KM_RECORD_F_ERROR);
	fh_instance_destroy(&fi);
}

static void test_topic_router_refused(void **state) {
	(void)state;
	refuse(P_TOPIC_ROUTER, KV("regex", "a.(", "replacement", "x"), "regex", 0,
	       "'a.(' is not a valid regular expression: missing closing parenthesis at offset 3; "
	       "give a PCRE2 pattern, matched against whole target topic names");
	refuse(P_TOPIC_ROUTER, KV("regex", "a\\.(.*)", "replacement", "b.$2"), "replacement", 0,
	       "$2 refers to group 2, but the regex has 1 group; use $0..$1");
	refuse(P_TOPIC_ROUTER, KV("regex", "a\\..*", "replacement", "b.$1"), "replacement", 0,
	       "$1 refers to group 1, but the regex has 0 groups; use $0..$0");
	refuse(P_TOPIC_ROUTER, KV("regex", "(.*)", "replacement", "b.${1}"), "replacement", 0,
	       "the '$' at offset 2 is not followed by a group number; write $0..$9 for a group of "
	       "the regex and \\$ for a literal $");
	refuse(P_TOPIC_ROUTER, KV("regex", "(.*)", "replacement", "b$"), "replacement", 0,
	       "the '$' at offset 1 is not followed by a group number; write $0..$9 for a group of "
	       "the regex and \\$ for a literal $");
	refuse(P_TOPIC_ROUTER, KV("regex", "(.*)", "replacement", "b\\n"), "replacement", 0,
	       "the '\\' at offset 1 escapes nothing; write \\$ for a literal $ and \\\\ for a "
	       "literal \\");
}

/* ---- filter --------------------------------------------------------------- */

static void test_filter_tombstones(void **state) {
	fh_instance_t fi;

	(void)state;
	make(&fi, P_FILTER, KV("action", "drop", "value.null", "true"));
	REC("k", "v", 1);
	rec("k", 1, NULL, 0, 2);
	rec(NULL, 0, NULL, 0, 3);
	rec("k", 1, "", 0, 4); /* empty, not null */
	run(&fi);
	assert_int_equal(R(0)->flags, 0);
	assert_int_equal(R(1)->flags, KM_RECORD_F_DROP);
	assert_int_equal(R(2)->flags, KM_RECORD_F_DROP);
	assert_int_equal(R(3)->flags, 0);
	assert_int_equal(fh_ctx_counter(fi.fhi_ctx, "dropped"), 2);
	/* the next batch: dropped records are not counted twice */
	run(&fi);
	assert_int_equal(fh_ctx_counter(fi.fhi_ctx, "dropped"), 2);
	fh_instance_destroy(&fi);

	km_batchbuf_reset(&bb);
	make(&fi, P_FILTER, KV("action", "keep", "value.null", "false"));
	REC("k", "v", 1);
	rec("k", 1, NULL, 0, 2);
	run(&fi);
	assert_int_equal(R(0)->flags, 0);
	assert_int_equal(R(1)->flags, KM_RECORD_F_DROP);
	fh_instance_destroy(&fi);
}

static void test_filter_header(void **state) {
	fh_instance_t fi;
	static const km_header_t dev_prod[] = {{.name = "env", .value = "dev", .value_len = 3},
	                                       {.name = "env", .value = "prod", .value_len = 4}};
	static const km_header_t nul[] = {{.name = "env", .value = NULL, .value_len = 0}};
	static const km_header_t prefix[] = {{.name = "env", .value = "prod\0", .value_len = 5}};

	(void)state;
	/* presence */
	make(&fi, P_FILTER, KV("action", "keep", "header", "a"));
	with_four(REC("k", "v", 1));
	REC("k", "v", 2);
	run(&fi);
	assert_int_equal(R(0)->flags, 0);
	assert_int_equal(R(1)->flags, KM_RECORD_F_DROP);
	fh_instance_destroy(&fi);

	/* exact value: any of the repeated headers; null and longer values do not match */
	km_batchbuf_reset(&bb);
	make(&fi, P_FILTER, KV("action", "keep", "header", "env", "header.value", "prod"));
	REC("k", "v", 1)->headers = dev_prod, R(0)->header_cnt = 2;
	REC("k", "v", 2)->headers = dev_prod, R(1)->header_cnt = 1;
	REC("k", "v", 3)->headers = nul, R(2)->header_cnt = 1;
	REC("k", "v", 4)->headers = prefix, R(3)->header_cnt = 1;
	REC("k", "v", 5);
	run(&fi);
	assert_int_equal(R(0)->flags, 0);
	for (int i = 1; i < 5; i++)
		assert_int_equal(R(i)->flags, KM_RECORD_F_DROP);
	assert_int_equal(fh_ctx_counter(fi.fhi_ctx, "dropped"), 4);
	fh_instance_destroy(&fi);

	/* a regex over bytes, NULs included */
	km_batchbuf_reset(&bb);
	make(&fi, P_FILTER, KV("action", "drop", "header", "b", "header.regex", "\\x00.\\x00"));
	with_four(REC("k", "v", 1));
	REC("k", "v", 2)->headers = prefix, R(1)->header_cnt = 1;
	run(&fi);
	assert_int_equal(R(0)->flags, KM_RECORD_F_DROP);
	assert_int_equal(R(1)->flags, 0);
	fh_instance_destroy(&fi);
}

static void test_filter_key(void **state) {
	fh_instance_t fi;

	(void)state;
	make(&fi, P_FILTER, KV("action", "drop", "key.regex", "user-[0-9]+"));
	REC("user-12", "v", 1);
	REC("user-12\0", "v", 2); /* a NUL after: not the whole key */
	rec(NULL, 0, "v", 1, 3);  /* a null key never matches */
	REC("xuser-1", "v", 4);
	REC("\xff\xfe", "v", 5);
	run(&fi);
	assert_int_equal(R(0)->flags, KM_RECORD_F_DROP);
	for (int i = 1; i < 5; i++)
		assert_int_equal(R(i)->flags, 0);
	assert_string_equal(fh_ctx_log(fi.fhi_ctx), "");
	fh_instance_destroy(&fi);

	/* bytes: "." is any byte, 0xff too */
	km_batchbuf_reset(&bb);
	make(&fi, P_FILTER, KV("action", "keep", "key.regex", "..", "header", "a"));
	with_four(REC("\xff\x00", "v", 1));
	REC("\xff\x00", "v", 2); /* the key matches, the header is missing: all must hold */
	with_four(REC("abc", "v", 3));
	run(&fi);
	assert_int_equal(R(0)->flags, 0);
	assert_int_equal(R(1)->flags, KM_RECORD_F_DROP);
	assert_int_equal(R(2)->flags, KM_RECORD_F_DROP);
	fh_instance_destroy(&fi);
}

static void test_filter_older_than(void **state) {
	fh_instance_t fi;
	int64_t now = (int64_t)time(NULL) * 1000;

	(void)state;
	make(&fi, P_FILTER, KV("action", "drop", "older_than", "1h"));
	REC("k", "v", now - 2 * 3600 * 1000);
	REC("k", "v", now - 60 * 1000);
	REC("k", "v", -1);                /* no timestamp: age unknown */
	REC("k", "v", now + 3600 * 1000); /* in the future */
	REC("k", "v", 0);
	run(&fi);
	assert_int_equal(R(0)->flags, KM_RECORD_F_DROP);
	assert_int_equal(R(1)->flags, 0);
	assert_int_equal(R(2)->flags, 0);
	assert_int_equal(R(3)->flags, 0);
	assert_int_equal(R(4)->flags, KM_RECORD_F_DROP);
	fh_instance_destroy(&fi);
}

/* A record another stage failed is left to on_error, not dropped. */
static void test_filter_leaves_failed(void **state) {
	fh_instance_t fi;

	(void)state;
	make(&fi, P_FILTER, KV("action", "keep", "header", "none"));
	REC("k", "v", 1)->flags = KM_RECORD_F_ERROR;
	run(&fi);
	assert_int_equal(R(0)->flags, KM_RECORD_F_ERROR);
	assert_int_equal(fh_ctx_counter(fi.fhi_ctx, "dropped"), 0);
	fh_instance_destroy(&fi);
}

static void test_filter_refused(void **state) {
	(void)state;
	refuse(P_FILTER, KV("action", "drop"), "action", 0,
	       "there is no condition to match; give at least one of header (with header.value "
	       "or header.regex), key.regex, value.null, older_than");
	refuse(P_FILTER, KV("action", "keep", "header.value", "x"), "header.value", 0,
	       "needs header, the name of the header whose value is compared; give it too");
	refuse(P_FILTER, KV("action", "keep", "header.regex", "x"), "header.regex", 0,
	       "needs header, the name of the header whose value is compared; give it too");
	refuse(P_FILTER,
	       KV("action", "keep", "header", "h", "header.value", "x", "header.regex", "x"),
	       "header.regex", 0,
	       "header.value is given too; give header.value (an exact value) or header.regex (a "
	       "pattern), not both");
	refuse(P_FILTER, KV("action", "keep", "header", ""), "header", 0,
	       "a header name cannot be empty; give the name of the header the condition is about");
	refuse(P_FILTER, KV("action", "keep", "header", "h", "header.regex", "[a"), "header.regex",
	       0,
	       "'[a' is not a valid regular expression: missing terminating ] for character class "
	       "at offset 2; give a PCRE2 pattern, matched against whole header values");
	refuse(P_FILTER, KV("action", "keep", "key.regex", "*k"), "key.regex", 0,
	       "'*k' is not a valid regular expression: quantifier does not follow a repeatable "
	       "item at offset 0; give a PCRE2 pattern, matched against whole keys");
}

/* ---- timestamp ----------------------------------------------------------- */

static void test_timestamp_modes(void **state) {
	fh_instance_t fi;
	int64_t before, after;

	(void)state;
	make(&fi, P_TIMESTAMP, KV("mode", "keep"));
	REC("k", "v", 5);
	REC("k", "v", -1);
	run(&fi);
	assert_int_equal(R(0)->timestamp, 5);
	assert_int_equal(R(1)->timestamp, -1);
	fh_instance_destroy(&fi);

	km_batchbuf_reset(&bb);
	make(&fi, P_TIMESTAMP, KV("mode", "now"));
	REC("k", "v", 5);
	REC("k", "v", -1);
	rec(NULL, 0, NULL, 0, 7);
	before = (int64_t)time(NULL) * 1000;
	run(&fi);
	after = ((int64_t)time(NULL) + 1) * 1000;
	assert_true(R(0)->timestamp >= before && R(0)->timestamp <= after);
	/* one clock reading for the batch */
	assert_int_equal(R(1)->timestamp, R(0)->timestamp);
	assert_int_equal(R(2)->timestamp, R(0)->timestamp);
	fh_instance_destroy(&fi);
}

static void test_timestamp_shift(void **state) {
	static const struct {
		const char *shift;
		int64_t ms;
	} cases[] = {{"-1h", -3600000}, {"+30s", 30000}, {"250ms", 250},
	             {"2d", 172800000}, {"-0m", 0},      {"-90m", -5400000}};
	fh_instance_t fi;

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		km_batchbuf_reset(&bb);
		make(&fi, P_TIMESTAMP, KV("mode", "shift", "shift", cases[c].shift));
		REC("k", "v", 1700000000000);
		REC("k", "v", -1);
		run(&fi);
		assert_int_equal(R(0)->timestamp, 1700000000000 + cases[c].ms);
		assert_int_equal(R(1)->timestamp, -1); /* nothing to shift */
		fh_instance_destroy(&fi);
	}

	/* before 1970: Kafka refuses it, so the record fails (on_error) */
	km_batchbuf_reset(&bb);
	make(&fi, P_TIMESTAMP, KV("mode", "shift", "shift", "-1s"));
	REC("k", "v", 999);
	REC("k", "v", 1000);
	run(&fi);
	assert_int_equal(R(0)->flags, KM_RECORD_F_ERROR);
	assert_int_equal(R(0)->timestamp, 999);
	assert_string_equal(R(0)->error, "timestamp: the shifted timestamp is before 1970, which "
	                                 "Kafka refuses; shift by less");
	assert_int_equal(R(1)->flags, 0);
	assert_int_equal(R(1)->timestamp, 0);
	assert_int_equal(fh_ctx_counter(fi.fhi_ctx, "negative_timestamp"), 1);
	fh_instance_destroy(&fi);
}

static void test_timestamp_refused(void **state) {
	static const char *const bad[] = {
	    "1x",       "-", "h", "1.5h", "1 h", "--1h", "1h30m", "", "99999999999999999999d",
	    "36600000d"};
	char want[256];

	(void)state;
	refuse(P_TIMESTAMP, KV("mode", "shift"), "shift", 0,
	       "mode shift needs it; give a signed duration, e.g. shift: -1h");
	refuse(P_TIMESTAMP, KV("mode", "now", "shift", "1h"), "shift", 0,
	       "it is only read with mode: shift (mode is now); remove it or set mode: shift");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want),
		         "'%s' is not a signed duration; give an optional + or -, a whole number "
		         "and a unit ms, s, m, h or d (e.g. -1h, +30s), at most 100 years",
		         bad[i]);
		refuse(P_TIMESTAMP, KV("mode", "shift", "shift", bad[i]), "shift", 0, want);
	}
}

/* ---- partition ----------------------------------------------------------- */

static void test_partition_hash(void **state) {
	fh_instance_t fi;
	static const char *const keys[] = {"a", "orders-1", "user\0bin", ""};
	static const size_t lens[] = {1, 8, 8, 0};

	(void)state;
	tp_topics[0] = "a.orders";
	tp_counts[0] = 7;
	make(&fi, P_PARTITION, KV("mode", "hash"));
	for (int i = 0; i < 4; i++)
		rec(keys[i], lens[i], "v", 1, i);
	run(&fi);
	for (int i = 0; i < 4; i++)
		assert_int_equal(R(i)->partition, km_murmur2_partition(keys[i], lens[i], 7));
	/* the hash is Kafka's: its own test vector, Utils.murmur2("21") */
	assert_int_equal(km_murmur2("21", 2), -973932308);
	/* one look-up for the run of records of one topic */
	assert_int_equal(tp_calls, 1);
	fh_instance_destroy(&fi);
}

static void test_partition_null_keys(void **state) {
	fh_instance_t fi;

	(void)state;
	tp_topics[0] = "a.orders";
	tp_counts[0] = 3;
	make(&fi, P_PARTITION, KV("mode", "hash"));
	for (int i = 0; i < 4; i++)
		rec(NULL, 0, "v", 1, i);
	run(&fi);
	assert_int_equal(R(0)->partition, 0);
	assert_int_equal(R(1)->partition, 1);
	assert_int_equal(R(2)->partition, 2);
	assert_int_equal(R(3)->partition, 0);
	fh_instance_destroy(&fi);

	km_batchbuf_reset(&bb);
	make(&fi, P_PARTITION, KV("mode", "hash", "null_keys", "keep"));
	rec(NULL, 0, "v", 1, 1)->partition = 9;
	REC("k", "v", 2);
	run(&fi);
	assert_int_equal(R(0)->partition, 9);
	assert_int_equal(R(1)->partition, km_murmur2_partition("k", 1, 3));
	fh_instance_destroy(&fi);
}

static void test_partition_round_robin(void **state) {
	fh_instance_t fi;

	(void)state;
	tp_topics[0] = "a.orders";
	tp_counts[0] = 2;
	tp_topics[1] = "other";
	tp_counts[1] = 5;
	make(&fi, P_PARTITION, KV("mode", "round_robin"));
	REC("k", "v", 1);
	REC("k", "v", 2);
	REC("k", "v", 3)->topic = "other";
	REC("k", "v", 4)->topic = "other";
	REC("k", "v", 5);
	REC("gone", "v", 6)->flags = KM_RECORD_F_DROP;
	run(&fi);
	assert_int_equal(R(0)->partition, 0);
	assert_int_equal(R(1)->partition, 1);
	assert_int_equal(R(2)->partition, 2);
	assert_int_equal(R(3)->partition, 3);
	assert_int_equal(R(4)->partition, 0); /* 4 % 2 */
	assert_int_equal(R(5)->partition, 3);
	assert_int_equal(tp_calls, 3); /* a.orders, other, a.orders */
	fh_instance_destroy(&fi);
}

/* An unknown count (-1) or a topic the target lacks (0): the partition
 * stays, and is counted. mode keep asks nothing. */
static void test_partition_unknown(void **state) {
	fh_instance_t fi;

	(void)state;
	tp_topics[0] = "none";
	tp_counts[0] = 0;
	make(&fi, P_PARTITION, KV("mode", "hash"));
	REC("k", "v", 1)->topic = "none";
	REC("k", "v", 2)->topic = "unknown";
	rec(NULL, 0, "v", 1, 3)->topic = "unknown";
	run(&fi);
	for (int i = 0; i < 3; i++)
		assert_int_equal(R(i)->partition, 3);
	assert_int_equal(fh_ctx_counter(fi.fhi_ctx, "unknown_partitions"), 3);
	fh_instance_destroy(&fi);

	tp_calls = 0;
	make(&fi, P_PARTITION, KV("mode", "keep"));
	run(&fi);
	for (int i = 0; i < 3; i++)
		assert_int_equal(R(i)->partition, 3);
	assert_int_equal(tp_calls, 0);
	fh_instance_destroy(&fi);
}

static void test_partition_refused(void **state) {
	(void)state;
	refuse(P_PARTITION, KV("mode", "keep", "null_keys", "keep"), "null_keys", 0,
	       "it is only read with mode: hash (mode is keep); remove it or set mode: hash");
	refuse(P_PARTITION, KV("mode", "round_robin", "null_keys", "round_robin"), "null_keys", 0,
	       "it is only read with mode: hash (mode is round_robin); remove it or set mode: "
	       "hash");
}

/* ---- main ---------------------------------------------------------------- */

static int group_setup(void **state) {
	char rel[64];

	(void)state;
	for (int p = 0; p < P_CNT; p++) {
		snprintf(rel, sizeof(rel), "plugins/%s", names[p]);
		if (!(pls[p] = fh_plugin_load(rel, &mods[p])))
			return -1;
	}
	host = fh_host;
	host.arena_alloc = km_batch_arena_alloc;
	host.batch_add = km_batch_add;
	host.murmur2 = km_murmur2;
	host.murmur2_partition = km_murmur2_partition;
	host.target_partitions = fake_target_partitions;
	return 0;
}

static int group_teardown(void **state) {
	(void)state;
	for (int p = P_CNT - 1; p >= 0; p--)
		fh_plugin_unload(mods[p]);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, batch_setup, batch_teardown)

int main(void) {
	const struct CMUnitTest tests[] = {
	    T(test_descriptors),           T(test_arena_full),
	    T(test_header_insert_static),  T(test_header_insert_template),
	    T(test_header_insert_replace), T(test_header_insert_refused),
	    T(test_header_drop_names),     T(test_header_drop_regex),
	    T(test_header_drop_refused),   T(test_topic_router),
	    T(test_topic_router_groups),   T(test_topic_router_invalid),
	    T(test_topic_router_refused),  T(test_filter_tombstones),
	    T(test_filter_header),         T(test_filter_key),
	    T(test_filter_older_than),     T(test_filter_leaves_failed),
	    T(test_filter_refused),        T(test_timestamp_modes),
	    T(test_timestamp_shift),       T(test_timestamp_refused),
	    T(test_partition_hash),        T(test_partition_null_keys),
	    T(test_partition_round_robin), T(test_partition_unknown),
	    T(test_partition_refused),
	};
	return cmocka_run_group_tests_name("transforms", tests, group_setup, group_teardown);
}
