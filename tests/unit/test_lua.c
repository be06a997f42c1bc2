/* The Lua stage (lua.so) through the real plugin host: a configuration file
 * names a script next to it, the host makes the instance, and batches made
 * as the flow makes them run through km_pipeline_run(). Covers the record
 * API, the sandbox (each denied facility and the known escapes), the
 * limits, and errors with the script's file:line. */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config_model.h"
#include "log.h"
#include "murmur2.h"
#include "params.h"
#include "pipeline.h"
#include "plugin_host.h"

static char lua_dir[3300]; /* plugin_dirs: the build's */

typedef struct lt {
	char dir[256];
	char script[512];
	km_config_t *c;
	km_plugin_host_t *h;
	km_instance_t *inst;
	km_pipeline_t pl;
	km_batchbuf_t bb;
	char errstr[2048];
	char msg[2048];
} lt_t;

static void write_file(const char *path, const char *text) {
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* 3 partitions for "orders" and "copies", none for "missing". */
static int32_t fake_partitions(void *owner, const char *topic) {
	(void)owner;
	if (!strcmp(topic, "orders") || !strcmp(topic, "copies"))
		return 3;
	return !strcmp(topic, "missing") ? 0 : -1;
}

/* Writes the script and a configuration whose flow has one Lua stage with
 * @p keys (more keys of the pipeline entry, each line indented 8), and
 * makes the instance. KM_OK, or the error in t->errstr. */
static km_err_t lt_make(lt_t *t, const char *script, const char *keys) {
	char conf[512], *text = NULL;

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "%s/km-lua-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->script, sizeof(t->script), "%s/s.lua", t->dir);
	snprintf(conf, sizeof(conf), "%s/k.yaml", t->dir);
	if (script)
		write_file(t->script, script);
	assert_true(asprintf(&text,
	                     "plugin_dirs: [%s]\n"
	                     "clusters:\n"
	                     "  a: {kafka: {bootstrap.servers: a1:9092}}\n"
	                     "  b: {kafka: {bootstrap.servers: b1:9092}}\n"
	                     "flows:\n"
	                     "  - name: ab\n"
	                     "    source: a\n"
	                     "    target: b\n"
	                     "    pipeline:\n"
	                     "      - plugin: lua\n"
	                     "        script: s.lua\n"
	                     "%s",
	                     lua_dir, keys ? keys : "") > 0);
	write_file(conf, text);
	free(text);
	if (!(t->c = km_config_load(conf, t->errstr, sizeof(t->errstr))))
		return KM_ERR_INVALID;
	assert_non_null(t->h = km_plugin_host_new(t->c->plugin_dirs, t->c->plugin_dir_cnt));
	t->inst = km_instance_new(t->h, &t->c->flows[0].pipeline[0], KM_PLUGIN_STAGE, "ab", "a",
	                          "b", t->errstr, sizeof(t->errstr));
	if (!t->inst)
		return KM_ERR_INVALID;
	t->inst->ctx.target_partitions = fake_partitions;
	t->pl.stages = &t->inst;
	t->pl.cnt = 1;
	assert_int_equal(km_batchbuf_init(&t->bb, 4, 4096, 64 << 20), KM_OK);
	return KM_OK;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void lt_free(lt_t *t) {
	km_instance_destroy(t->inst);
	if (t->h)
		km_plugin_host_destroy(t->h);
	km_config_destroy(t->c);
	km_batchbuf_free(&t->bb);
	nftw(t->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static const km_header_t hdrs[] = {
    {.name = "tenant", .value = "eu", .value_len = 2},
    {.name = "trace", .value = NULL, .value_len = 0},
    {.name = "tenant", .value = "us", .value_len = 2},
};

/* Appends a source record of "orders" partition 1 at @p offset. */
static km_record_t *lt_add(lt_t *t, const char *key, const void *value, size_t value_len,
                           int64_t offset) {
	km_record_t *r = km_batch_add(&t->bb.pub, NULL);

	assert_non_null(r);
	r->key = key;
	r->key_len = key ? strlen(key) : 0;
	r->value = value;
	r->value_len = value_len;
	r->timestamp = 1700000000000 + offset;
	r->topic = "orders";
	r->partition = 1;
	r->source_topic = "orders";
	r->source_partition = 1;
	r->source_offset = offset;
	r->headers = hdrs;
	r->header_cnt = 3;
	return r;
}

static km_stage_action_t lt_run(lt_t *t) {
	size_t failed = 0;

	return km_pipeline_run(&t->pl, 0, &t->bb.pub, &failed, t->msg, sizeof(t->msg));
}

static km_record_t *rec(lt_t *t, size_t i) {
	assert_true(i < t->bb.pub.cnt);
	return km_batch_record(&t->bb.pub, i);
}

static int64_t counter(lt_t *t, const char *name) {
	for (struct km_counter *c = t->inst->ctx.counters; c; c = c->next)
		if (!strcmp(c->name, name))
			return (int64_t)c->value;
	return -1;
}

/* The record failed with a message that starts with the script's path and
 * contains @p want. */
static void assert_failed_with(lt_t *t, size_t i, const char *want) {
	km_record_t *r = rec(t, i);

	assert_true(r->flags & KM_RECORD_F_ERROR);
	assert_non_null(r->error);
	if (strncmp(r->error, t->script, strlen(t->script)) || !strstr(r->error, want))
		fail_msg("record %zu failed with '%s'; want %s:LINE: ...%s...", i, r->error,
		         t->script, want);
}

/* ---- the record API ------------------------------------------------------ */

static void test_drop_by_header(void **state) {
	lt_t t;
	(void)state;
	assert_int_equal(lt_make(&t,
	                         "function process_record(r)\n"
	                         "  if r:header('tenant') == 'eu' and r.key == 'a' then return "
	                         "false end\n"
	                         "end\n",
	                         NULL),
	                 KM_OK);
	lt_add(&t, "a", "1", 1, 0);
	lt_add(&t, "b", "2", 1, 1);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	assert_true(rec(&t, 0)->flags & KM_RECORD_F_DROP);
	assert_false(rec(&t, 1)->flags & KM_RECORD_F_DROP);
	assert_int_equal(counter(&t, "dropped"), 1);
	lt_free(&t);
}

static void test_fields_read(void **state) {
	static const char bin[] = {'x', 0, 'y', 0, 0};
	lt_t t;
	(void)state;
	assert_int_equal(
	    lt_make(&t,
	            "function process_record(r)\n"
	            "  assert(r.key == nil, 'null key')\n"
	            "  assert(#r.value == 5 and r.value == 'x\\0y\\0\\0', 'binary value')\n"
	            "  assert(r.timestamp == 1700000000007)\n"
	            "  assert(r.topic == 'orders' and r.partition == 1)\n"
	            "  assert(r.source_topic == 'orders' and r.source_partition == 1)\n"
	            "  assert(r.source_offset == 7 and r.source_cluster == 'a')\n"
	            "  local h = r:headers()\n"
	            "  assert(#h == 3 and h[1][1] == 'tenant' and h[1][2] == 'eu')\n"
	            "  assert(h[2][1] == 'trace' and h[2][2] == nil)\n"
	            "  assert(h[3][1] == 'tenant' and h[3][2] == 'us')\n"
	            "  assert(r:header('tenant') == 'eu' and r:header('trace') == nil)\n"
	            "  assert(r:header('nope') == nil)\n"
	            "end\n",
	            NULL),
	    KM_OK);
	lt_add(&t, NULL, bin, sizeof(bin), 7);
	lt_add(&t, NULL, NULL, 0, 8); /* a tombstone: #nil fails the assert */
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	assert_false(rec(&t, 0)->flags & KM_RECORD_F_ERROR);
	assert_failed_with(&t, 1, "attempt to get length of a nil value");
	lt_free(&t);
}

static void test_fields_written(void **state) {
	lt_t t;
	km_record_t *r;
	(void)state;
	assert_int_equal(lt_make(&t,
	                         "function process_record(r)\n"
	                         "  r.key = 'k\\0' .. r.key\n"
	                         "  r.value = nil\n"
	                         "  r.timestamp = 5\n"
	                         "  r.topic = 'copies'\n"
	                         "  r.partition = 2\n"
	                         "  r:set_header('tenant', 'all')\n"
	                         "  r:add_header('x', nil)\n"
	                         "  assert(r:remove_header('trace') == 1)\n"
	                         "end\n",
	                         NULL),
	                 KM_OK);
	lt_add(&t, "a", "v", 1, 0);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	r = rec(&t, 0);
	assert_false(r->flags & KM_RECORD_F_ERROR);
	assert_int_equal(r->key_len, 3);
	assert_memory_equal(r->key, "k\0a", 3);
	assert_null(r->value);
	assert_int_equal(r->timestamp, 5);
	assert_string_equal(r->topic, "copies");
	assert_int_equal(r->partition, 2);
	/* the first "tenant" took the value, the second went; "x" is null */
	assert_int_equal(r->header_cnt, 2);
	assert_string_equal(r->headers[0].name, "tenant");
	assert_memory_equal(r->headers[0].value, "all", 3);
	assert_string_equal(r->headers[1].name, "x");
	assert_null(r->headers[1].value);
	/* the source's fields are untouched */
	assert_string_equal(r->source_topic, "orders");
	lt_free(&t);
}

static void test_field_errors(void **state) {
	lt_t t;
	(void)state;
	assert_int_equal(lt_make(&t,
	                         "function process_record(r)\n"
	                         "  if r.key == 'ro' then r.source_offset = 1 end\n"
	                         "  if r.key == 'typo' then return r.vlaue end\n"
	                         "  if r.key == 'part' then r.partition = 3 end\n"
	                         "  if r.key == 'neg' then r.partition = -1 end\n"
	                         "  if r.key == 'topic' then r.topic = 'a b' end\n"
	                         "  if r.key == 'ret' then return 42 end\n"
	                         "  if r.key == 'val' then r.value = {} end\n"
	                         "  if r.key == 'emit' then emit{topci = 'x'} end\n"
	                         "end\n",
	                         NULL),
	                 KM_OK);
	lt_add(&t, "ro", "v", 1, 0);
	lt_add(&t, "typo", "v", 1, 1);
	lt_add(&t, "part", "v", 1, 2);
	lt_add(&t, "neg", "v", 1, 3);
	lt_add(&t, "topic", "v", 1, 4);
	lt_add(&t, "ret", "v", 1, 5);
	lt_add(&t, "val", "v", 1, 6);
	lt_add(&t, "fine", "v", 1, 7);
	lt_add(&t, "emit", "v", 1, 8);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	assert_failed_with(&t, 0, ":2: field 'source_offset' of a record is read-only");
	assert_failed_with(&t, 1, ":3: a record has no field 'vlaue'");
	assert_failed_with(&t, 2,
	                   ":4: topic 'orders' has 3 partitions on the target: partition 3 does "
	                   "not exist");
	assert_failed_with(&t, 3, ":5: partition must be a partition number");
	assert_failed_with(&t, 4, ":6: 'a b' is not a valid topic name");
	assert_failed_with(&t, 5, ":1: process_record returned a number; return false to drop");
	assert_failed_with(&t, 6, ":8: value must be a string, or nil for null, not table");
	assert_false(rec(&t, 7)->flags & KM_RECORD_F_ERROR);
	assert_failed_with(&t, 8,
	                   ":9: emit: 'topci' is not a field of a record; use topic, key, value, "
	                   "headers, partition, timestamp");
	assert_int_equal(t.bb.pub.cnt, 9); /* nothing was emitted */
	assert_int_equal(counter(&t, "script_errors"), 8);
	lt_free(&t);
}

static void test_record_kept_past_its_call(void **state) {
	lt_t t;
	(void)state;
	assert_int_equal(lt_make(&t,
	                         "local kept\n"
	                         "function process_record(r)\n"
	                         "  if kept then return kept.key end\n"
	                         "  kept = r\n"
	                         "end\n",
	                         NULL),
	                 KM_OK);
	lt_add(&t, "a", "v", 1, 0);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	km_batchbuf_reset(&t.bb);
	lt_add(&t, "b", "v", 1, 1);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	assert_failed_with(&t, 0, ":3: a record was used outside the call that gave it");
	lt_free(&t);
}

static void test_emit_fan_out(void **state) {
	lt_t t;
	km_record_t *c;
	(void)state;
	assert_int_equal(lt_make(&t,
	                         "function process_record(r)\n"
	                         "  local c = emit{topic = 'copies', headers = {{'a', '1'}, {'a', "
	                         "'2'}}}\n"
	                         "  assert(c.value == r.value and c.source_offset == 4)\n"
	                         "end\n",
	                         NULL),
	                 KM_OK);
	lt_add(&t, "k", "v", 1, 4);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	assert_int_equal(t.bb.pub.cnt, 2);
	c = rec(&t, 1);
	assert_false(c->flags & KM_RECORD_F_ERROR);
	assert_string_equal(c->topic, "copies");
	assert_memory_equal(c->key, "k", 1);
	assert_int_equal(c->source_offset, 4); /* made from the record */
	assert_int_equal(c->header_cnt, 2);
	assert_memory_equal(c->headers[1].value, "2", 1);
	assert_string_equal(rec(&t, 0)->topic, "orders");
	assert_int_equal(counter(&t, "emitted"), 1);
	lt_free(&t);
}

static void test_process_batch(void **state) {
	lt_t t;
	(void)state;
	assert_int_equal(lt_make(&t,
	                         "function process(batch)\n"
	                         "  local n = 0\n"
	                         "  for i, r in ipairs(batch) do\n"
	                         "    n = n + 1\n"
	                         "    if r.key == 'x' then r:drop() end\n"
	                         "    if r.key == 'f' then r:fail('bad record') end\n"
	                         "  end\n"
	                         "  batch:emit({topic = 'copies', value = tostring(n)})\n"
	                         "end\n",
	                         NULL),
	                 KM_OK);
	lt_add(&t, "x", "v", 1, 0);
	lt_add(&t, "f", "v", 1, 1);
	lt_add(&t, "k", "v", 1, 2);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	assert_true(rec(&t, 0)->flags & KM_RECORD_F_DROP);
	assert_failed_with(&t, 1, ":6: bad record");
	assert_int_equal(t.bb.pub.cnt, 4);
	assert_memory_equal(rec(&t, 3)->value, "3", 1);
	assert_null(rec(&t, 3)->source_topic); /* no source */
	lt_free(&t);
}

static void test_process_error_fails_batch(void **state) {
	lt_t t;
	(void)state;
	assert_int_equal(lt_make(&t, "function process(batch)\n  local x = nil + 1\nend\n", NULL),
	                 KM_OK);
	lt_add(&t, "k", "v", 1, 0);
	assert_int_equal(lt_run(&t), KM_STAGE_ERROR);
	assert_non_null(strstr(t.msg, "s.lua:2: attempt to perform arithmetic on a nil value"));
	lt_free(&t);
}

static void test_tick_emits(void **state) {
	lt_t t;
	size_t failed;
	(void)state;
	assert_int_equal(lt_make(&t,
	                         "local n = 0\n"
	                         "function process_record(r) n = n + 1 end\n"
	                         "function on_tick(now, emit)\n"
	                         "  emit{topic = 'copies', key = 'count', value = tostring(n), "
	                         "timestamp = now}\n"
	                         "  if n > 1 then emit{key = 'no topic'} end\n"
	                         "end\n",
	                         "        tick_interval: 1s\n"),
	                 KM_OK);
	lt_add(&t, "a", "v", 1, 0);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	km_batchbuf_reset(&t.bb);
	assert_int_equal(km_pipeline_tick(&t.pl, 0, &t.bb.pub, 1234, &failed, t.msg, sizeof(t.msg)),
	                 KM_STAGE_OK);
	assert_int_equal(t.bb.pub.cnt, 1);
	assert_string_equal(rec(&t, 0)->topic, "copies");
	assert_memory_equal(rec(&t, 0)->value, "1", 1);
	assert_int_equal(rec(&t, 0)->timestamp, 1234);
	assert_int_equal(rec(&t, 0)->source_offset, -1);
	km_batchbuf_reset(&t.bb);
	lt_add(&t, "b", "v", 1, 1);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	km_batchbuf_reset(&t.bb);
	assert_int_equal(km_pipeline_tick(&t.pl, 0, &t.bb.pub, 1235, &failed, t.msg, sizeof(t.msg)),
	                 KM_STAGE_ERROR);
	assert_non_null(strstr(t.msg, "s.lua:5: emit: a record with no source needs a topic"));
	lt_free(&t);
}

static void test_init_params(void **state) {
	lt_t t;
	(void)state;
	assert_int_equal(
	    lt_make(&t,
	            "local p\n"
	            "function init(params) p = params end\n"
	            "function process_record(r)\n"
	            "  assert(p.n == 3 and math.type(p.n) == 'integer', 'n')\n"
	            "  assert(p.f == 0.5 and p.yes == true and p.q == '3', 'scalars')\n"
	            "  assert(#p.list == 2 and p.list[2] == 'b' and p.map.x == 'y', 'nested')\n"
	            "end\n",
	            "        params: {n: 3, f: 0.5, yes: true, q: '3', list: [a, b], map: {x: "
	            "y}}\n"),
	    KM_OK);
	lt_add(&t, "a", "v", 1, 0);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	assert_false(rec(&t, 0)->flags & KM_RECORD_F_ERROR);
	lt_free(&t);
}

static void test_murmur2_and_partitions(void **state) {
	lt_t t;
	char want[64];
	(void)state;
	snprintf(want, sizeof(want), "%d %d", (int)km_murmur2("key-1", 5),
	         (int)km_murmur2_partition("key-1", 5, 3));
	assert_int_equal(lt_make(&t,
	                         "function process_record(r)\n"
	                         "  local p, why = kmirror.partition(r.key, 'missing')\n"
	                         "  assert(p == nil and why:find('no such topic'))\n"
	                         "  assert(kmirror.partitions('orders') == 3)\n"
	                         "  assert(kmirror.partition(r.key, 'orders') == "
	                         "kmirror.partition(r.key, 3))\n"
	                         "  r.value = kmirror.murmur2(r.key) .. ' ' .. "
	                         "kmirror.partition(r.key, 'orders')\n"
	                         "end\n",
	                         NULL),
	                 KM_OK);
	lt_add(&t, "key-1", "v", 1, 0);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	assert_false(rec(&t, 0)->flags & KM_RECORD_F_ERROR);
	assert_int_equal(rec(&t, 0)->value_len, strlen(want));
	assert_memory_equal(rec(&t, 0)->value, want, strlen(want));
	lt_free(&t);
}

/* The helpers: kmirror.json edits one field and leaves every other byte;
 * kmirror.window counts; json.null is not taken for a record. */
static void test_helpers(void **state) {
	static const char doc[] = "{\"id\": 1234567890123456789, \"user\": {\"email\": "
	                          "\"a@b.eu\", \"url\": \"x\\/y\"}}";
	static const char want[] = "{\"id\": 1234567890123456789, \"user\": {\"email\": "
	                           "\"***\", \"url\": \"x\\/y\"}}";
	lt_t t;
	(void)state;
	assert_int_equal(
	    lt_make(&t,
	            "local json = require('kmirror.json')\n"
	            "local window = require('kmirror.window')\n"
	            "assert(require('kmirror.json') == json)\n"
	            "local w = window.tumbling{size_ms = 1000}\n"
	            "function process_record(r)\n"
	            "  assert(json.get(r.value, 'id') == 1234567890123456789)\n"
	            "  r.value = json.set(r.value, 'user.email', '***')\n"
	            "  w:add(r.timestamp, r.key)\n"
	            "  local n = 0\n"
	            "  for start, key, acc in w:close(r.timestamp + 1000) do n = n + acc end\n"
	            "  assert(n == 1 and tostring(json.null) == 'json.null')\n"
	            "  local ok, e = pcall(function() return json.null.key end)\n"
	            "  assert(not ok and e:find('json.null is not a record'), e)\n"
	            "  assert(not pcall(function() json.get = nil end))\n"
	            "end\n",
	            NULL),
	    KM_OK);
	lt_add(&t, "a", doc, strlen(doc), 0);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	if (rec(&t, 0)->flags & KM_RECORD_F_ERROR)
		fail_msg("%s", rec(&t, 0)->error);
	assert_int_equal(rec(&t, 0)->value_len, strlen(want));
	assert_memory_equal(rec(&t, 0)->value, want, strlen(want));
	lt_free(&t);
}

/* ---- the sandbox --------------------------------------------------------- */

/* Each probe is tried in its own record; each must fail with its message. */
static void test_sandbox_denies(void **state) {
	static const struct {
		const char *probe, *want;
	} cases[] = {
	    {"io.open('/etc/passwd')", "global 'io'"},
	    {"os.execute('true')", "field 'execute'"},
	    {"os.getenv('HOME')", "field 'getenv'"},
	    {"debug.getregistry()", "global 'debug'"},
	    {"require('io')", "module 'io' is not available in the Lua stage; the modules are: "
	                      "kmirror.json kmirror.window"},
	    {"require('cjson')", "module 'cjson' is not available"},
	    {"package.loadlib('x', 'y')", "global 'package'"},
	    {"dofile('/etc/passwd')", "global 'dofile'"},
	    {"loadfile('/etc/passwd')", "global 'loadfile'"},
	    {"coroutine.create(print)", "global 'coroutine'"},
	    {"string.dump(print)", "field 'dump'"},
	    {"load('return 1', 'x', 'b')", "only text chunks"},
	    {"local f, e = load('\\27Lua\\84\\0'); error(e)", "attempt to load a binary chunk"},
	    {"collectgarbage('stop')", "only \"count\" is allowed"},
	    {"collectgarbage('generational')", "only \"count\" is allowed"},
	    {"getmetatable('').__index.upper = nil", "attempt to index a boolean value"},
	    {"string.upper = nil", "read-only"},
	    {"rawset(string, 'upper', nil)", "read-only"},
	    {"setmetatable(math, nil)", "cannot change a protected metatable"},
	    {"kmirror.log = nil", "read-only"},
	    {"getmetatable(_G).__index.io = {}", "attempt to index a boolean value"},
	};
	size_t n = sizeof(cases) / sizeof(cases[0]);
	char *script = NULL, *tmp;
	lt_t t;
	(void)state;

	assert_true(asprintf(&script, "local probes = {\n") > 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(asprintf(&tmp, "%s  function() %s end,\n", script, cases[i].probe) > 0);
		free(script);
		script = tmp;
	}
	assert_true(asprintf(&tmp,
	                     "%s}\nfunction process_record(r) "
	                     "probes[r.source_offset + 1]() end\n",
	                     script) > 0);
	free(script);
	assert_int_equal(lt_make(&t, tmp, NULL), KM_OK);
	free(tmp);
	for (size_t i = 0; i < n; i++)
		lt_add(&t, "k", "v", 1, (int64_t)i);
	lt_add(&t, "k", "v", 1, (int64_t)n); /* probes[n + 1] is nil */
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	for (size_t i = 0; i < n; i++) {
		km_record_t *r = rec(&t, i);
		if (!(r->flags & KM_RECORD_F_ERROR) || !strstr(r->error, cases[i].want))
			fail_msg("probe %s: %s; want an error with %s", cases[i].probe,
			         r->flags & KM_RECORD_F_ERROR ? r->error : "no error",
			         cases[i].want);
	}
	assert_failed_with(&t, n, "attempt to call a nil value");
	lt_free(&t);
}

/* What the sandbox leaves works. */
static void test_sandbox_allows(void **state) {
	lt_t t;
	(void)state;
	assert_int_equal(
	    lt_make(&t,
	            "function process_record(r)\n"
	            "  assert(os.time() > 0 and os.clock() >= 0)\n"
	            "  assert(string.format('%d', 3) == '3' and ('ab'):upper() == 'AB')\n"
	            "  assert(utf8.len('\\u{e9}') == 1 and math.max(1, 2) == 2)\n"
	            "  assert(table.concat({'a', 'b'}) == 'ab')\n"
	            "  assert(collectgarbage('count') > 0)\n"
	            "  assert(load('return 1 + 1')() == 2)\n"
	            "  mine = 1; assert(_G.mine == 1)\n"
	            "  local n = 0; for k in pairs(string) do n = n + 1 end; assert(n > 10)\n"
	            "end\n",
	            NULL),
	    KM_OK);
	lt_add(&t, "a", "v", 1, 0);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	if (rec(&t, 0)->flags & KM_RECORD_F_ERROR)
		fail_msg("%s", rec(&t, 0)->error);
	lt_free(&t);
}

/* ---- limits -------------------------------------------------------------- */

static void test_instruction_limit(void **state) {
	lt_t t;
	(void)state;
	assert_int_equal(lt_make(&t,
	                         "function process_record(r)\n"
	                         "  if r.key == 'loop' then\n"
	                         "    while true do end\n"
	                         "  end\n"
	                         "end\n",
	                         "        instructions_max: 100000\n        time_max: 1h\n"),
	                 KM_OK);
	lt_add(&t, "loop", "v", 1, 0);
	lt_add(&t, "fine", "v", 1, 1);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	assert_failed_with(&t, 0,
	                   ":3: more than 100000 instructions in one call (instructions_max)");
	assert_false(rec(&t, 1)->flags & KM_RECORD_F_ERROR);
	lt_free(&t);
}

static void test_time_limit(void **state) {
	lt_t t;
	(void)state;
	assert_int_equal(lt_make(&t,
	                         "function process_record(r)\n"
	                         "  if r.key == 'loop' then while true do end end\n"
	                         "  if r.key == 'rep' then local s = string.rep('x', 50000000) "
	                         "end\n"
	                         "end\n",
	                         "        instructions_max: 1000000000000\n"
	                         "        time_max: 20ms\n"
	                         "        memory_max: 1GB\n"),
	                 KM_OK);
	lt_add(&t, "loop", "v", 1, 0);
	lt_add(&t, "rep", "v", 1, 1);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	assert_failed_with(&t, 0, ":2: the call ran longer than 20 ms (time_max)");
	/* inside one C function: seen when it returns */
	assert_failed_with(&t, 1, "longer than 20 ms (time_max), most of it in a C function");
	lt_free(&t);
}

static void test_memory_limit(void **state) {
	lt_t t;
	(void)state;
	assert_int_equal(
	    lt_make(&t,
	            "function process_record(r)\n"
	            "  if r.key == 'grow' then\n"
	            "    local t = {}\n"
	            "    for i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end\n"
	            "  end\n"
	            "end\n",
	            "        memory_max: 4MB\n        instructions_max: 1000000000000\n"
	            "        time_max: 1h\n"),
	    KM_OK);
	lt_add(&t, "grow", "v", 1, 0);
	lt_add(&t, "fine", "v", 1, 1);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	assert_failed_with(&t, 0,
	                   ": not enough memory: the script's state holds more than memory_max "
	                   "(4194304 bytes)");
	assert_false(rec(&t, 1)->flags & KM_RECORD_F_ERROR);
	lt_free(&t);
}

/* ---- loading ------------------------------------------------------------- */

static void expect_refused(const char *script, const char *keys, const char *want) {
	lt_t t;
	char full[1024];

	char *o = full;

	assert_int_equal(lt_make(&t, script, keys), KM_ERR_INVALID);
	/* "%s" in @p want stands for the test's directory */
	for (const char *w = want; *w && o < full + sizeof(full) - 300;) {
		if (!strncmp(w, "%s", 2)) {
			o += sprintf(o, "%s", t.dir);
			w += 2;
		} else {
			*o++ = *w++;
		}
	}
	*o = '\0';
	if (strcmp(t.errstr, full))
		fail_msg("got:  %s\nwant: %s", t.errstr, full);
	lt_free(&t);
}

static void test_load_errors(void **state) {
	(void)state;
	expect_refused("function process_record(r)\n  if r then\nend\n", NULL,
	               "%s/k.yaml:11:17: key 'script': %s/s.lua:4: 'end' expected (to close "
	               "'function' at line 1) near <eof>");
	expect_refused("local x = nil + 1\n", NULL,
	               "%s/k.yaml:11:17: key 'script': %s/s.lua:1: attempt to perform arithmetic "
	               "on a nil value");
	expect_refused("function init(p) error('no region given') end\n", NULL,
	               "%s/k.yaml:11:17: key 'script': %s/s.lua:1: no region given");
	expect_refused("function process(b) end\nfunction process_record(r) end\n", NULL,
	               "%s/k.yaml:11:17: key 'script': %s/s.lua: the script defines both process "
	               "and process_record; define one of them (process sees the whole batch, "
	               "process_record one record at a time)");
	expect_refused("process = 1\n", NULL,
	               "%s/k.yaml:11:17: key 'script': %s/s.lua: 'process' must be a function, "
	               "not number");
	expect_refused(NULL, NULL,
	               "%s/k.yaml:11:17: key 'script': cannot read %s/s.lua: No such file or "
	               "directory");
	expect_refused("x = 1\n", "        instructions_max: 10\n",
	               "%s/k.yaml:12:27: key 'instructions_max': '10' is out of range; it must be "
	               "between 1000 and 1000000000000");
}

/* A script whose path is longer than Lua's names (LUA_IDSIZE, 60) is still
 * named by its whole path, in runtime errors, r:fail and syntax errors. */
static void test_long_script_path(void **state) {
	const char *old = getenv("TMPDIR");
	char dir[512], *saved = old ? strdup(old) : NULL, want[1024];
	lt_t t;
	(void)state;

	snprintf(dir, sizeof(dir), "%s/km-lua-a-directory-with-a-name-longer-than-lua-shows-it",
	         old ? old : "/tmp");
	assert_true(mkdir(dir, 0700) == 0 || errno == EEXIST);
	setenv("TMPDIR", dir, 1);
	assert_int_equal(lt_make(&t,
	                         "function process_record(r)\n"
	                         "  if r.key == 'e' then error('boom') end\n"
	                         "  if r.key == 'f' then r:fail('why') end\n"
	                         "  if r.key == 'c' then string.rep() end\n"
	                         "end\n",
	                         NULL),
	                 KM_OK);
	lt_add(&t, "e", "v", 1, 0);
	lt_add(&t, "f", "v", 1, 1);
	lt_add(&t, "c", "v", 1, 2);
	assert_int_equal(lt_run(&t), KM_STAGE_OK);
	snprintf(want, sizeof(want), "%s:2: boom", t.script);
	assert_string_equal(rec(&t, 0)->error, want);
	snprintf(want, sizeof(want), "%s:3: why", t.script);
	assert_string_equal(rec(&t, 1)->error, want);
	snprintf(want, sizeof(want), "%s:4: bad argument #1 to 'rep'", t.script);
	assert_int_equal(strncmp(rec(&t, 2)->error, want, strlen(want)), 0);
	lt_free(&t);
	expect_refused("x = = 1\n", NULL,
	               "%s/k.yaml:11:17: key 'script': %s/s.lua:1: unexpected symbol near '='");
	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	rmdir(dir);
}

/* kmirrord --check-config, the program, refuses a script with a syntax
 * error with both positions, and passes a good one. */
static void test_check_config_program(void **state) {
	const char *b = getenv("KM_TEST_BUILDDIR");
	char cmd[2048], err[2048] = "", path[600];
	lt_t t;
	FILE *fp;
	size_t n;
	(void)state;

	assert_int_equal(lt_make(&t, "function process_record(r)\n  return r.key ==\nend\n", NULL),
	                 KM_ERR_INVALID);
	snprintf(path, sizeof(path), "%s/err", t.dir);
	snprintf(cmd, sizeof(cmd), "%s/core/kmirrord --check-config -c %s/k.yaml 2>%s >/dev/null",
	         b ? b : ".", t.dir, path);
	assert_int_equal(WEXITSTATUS(system(cmd)), 1);
	assert_non_null(fp = fopen(path, "r"));
	n = fread(err, 1, sizeof(err) - 1, fp);
	err[n] = '\0';
	fclose(fp);
	snprintf(cmd, sizeof(cmd),
	         "k.yaml:11:17: key 'script': %s/s.lua:3: unexpected symbol near 'end'", t.dir);
	if (!strstr(err, cmd))
		fail_msg("stderr: %s\nwant: %s", err, cmd);
	write_file(t.script, "function process_record(r) end\n");
	snprintf(cmd, sizeof(cmd), "%s/core/kmirrord --check-config -c %s/k.yaml >/dev/null 2>&1",
	         b ? b : ".", t.dir);
	assert_int_equal(WEXITSTATUS(system(cmd)), 0);
	lt_free(&t);
}

/* The script's instance made again from @p t's configuration file, as a
 * reload makes it; the caller destroys both. */
static km_instance_t *lt_rebind(lt_t *t, km_config_t **cp) {
	char conf[600];
	km_instance_t *inst;

	snprintf(conf, sizeof(conf), "%s/k.yaml", t->dir);
	assert_non_null(*cp = km_config_load(conf, t->errstr, sizeof(t->errstr)));
	inst = km_instance_new(t->h, &(*cp)->flows[0].pipeline[0], KM_PLUGIN_STAGE, "ab", "a", "b",
	                       t->errstr, sizeof(t->errstr));
	if (!inst)
		fail_msg("%s", t->errstr);
	return inst;
}

/* A reload sees whether the script changed: the same file untouched is the
 * same flow; the same path with other text (another size) is not. */
static void test_changed_script_restarts(void **state) {
	km_config_t *c1, *c2;
	km_instance_t *same, *changed;
	lt_t t;
	(void)state;

	assert_int_equal(lt_make(&t, "x = 1\n", NULL), KM_OK);
	same = lt_rebind(&t, &c1);
	assert_true(km_params_files_same(t.inst->params, same->params));
	write_file(t.script, "x = 12345\n");
	changed = lt_rebind(&t, &c2);
	assert_false(km_params_files_same(t.inst->params, changed->params));
	assert_false(km_params_files_same(same->params, changed->params));
	km_instance_destroy(same);
	km_instance_destroy(changed);
	km_config_destroy(c1);
	km_config_destroy(c2);
	lt_free(&t);
}

int main(void) {
	const char *b = getenv("KM_TEST_BUILDDIR");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_drop_by_header),
	    cmocka_unit_test(test_fields_read),
	    cmocka_unit_test(test_fields_written),
	    cmocka_unit_test(test_field_errors),
	    cmocka_unit_test(test_record_kept_past_its_call),
	    cmocka_unit_test(test_emit_fan_out),
	    cmocka_unit_test(test_process_batch),
	    cmocka_unit_test(test_process_error_fails_batch),
	    cmocka_unit_test(test_tick_emits),
	    cmocka_unit_test(test_init_params),
	    cmocka_unit_test(test_murmur2_and_partitions),
	    cmocka_unit_test(test_helpers),
	    cmocka_unit_test(test_sandbox_denies),
	    cmocka_unit_test(test_sandbox_allows),
	    cmocka_unit_test(test_instruction_limit),
	    cmocka_unit_test(test_time_limit),
	    cmocka_unit_test(test_memory_limit),
	    cmocka_unit_test(test_load_errors),
	    cmocka_unit_test(test_long_script_path),
	    cmocka_unit_test(test_check_config_program),
	    cmocka_unit_test(test_changed_script_restarts),
	};

	snprintf(lua_dir, sizeof(lua_dir), "%s/lua/.libs, %s/policies/.libs, %s/plugins/.libs",
	         b ? b : ".", b ? b : ".", b ? b : ".");
	km_log_level = KM_LOG_WARNING;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
