/* libFuzzer target: the Lua stage's record bridge (lua/record.c). The input
 * is a batch of records (keys, values and headers of any bytes, nulls
 * included); a fixed script reads every field, changes keys, values,
 * headers, topics and partitions, emits copies and fails or drops some,
 * choosing by the records' own bytes. ASan and UBSan watch the bridge; after
 * the call, every record's fields must be readable and consistent. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmirror/plugin.h"
#include "pipeline.h"

extern const km_plugin_t km_plugin; /* lua/stage.c */

static const char script[] =
    "local ops = {}\n"
    "function process_record(r)\n"
    "  local v = r.value or ''\n"
    "  local k = r.key\n"
    "  local op = #v > 0 and v:byte(1) % 16 or 0\n"
    "  local _ = r.timestamp, r.topic, r.partition, r.source_topic, r.source_partition,\n"
    "            r.source_offset, r.source_cluster, tostring(r)\n"
    "  for i, h in ipairs(r:headers()) do local _ = r:header(h[1]) end\n"
    "  if op == 1 then return false end\n"
    "  if op == 2 then r:fail(v) end\n"
    "  if op == 3 then r.value = (k or '') .. v end\n"
    "  if op == 4 then r.key = nil; r.value = false end\n"
    "  if op == 5 then r:set_header(v, k) end\n"
    "  if op == 6 then r:add_header(k or 'k', v); r:remove_header(v) end\n"
    "  if op == 7 then emit{topic = 'copies', headers = {{v, k}, {'x', nil}}} end\n"
    "  if op == 8 then emit{key = v, headers = {a = v, b = k}} end\n"
    "  if op == 9 then r.partition = #v % 4 end\n"
    "  if op == 10 then r.topic = v end\n"
    "  if op == 11 then r.timestamp = #v end\n"
    "  if op == 12 then return kmirror.murmur2(v) end\n"
    "  if op == 13 then ops[#ops + 1] = r end\n"
    "  if op == 14 and ops[1] then local _ = ops[1].key end\n"
    "  if op == 15 then r.source_offset = 1 end\n"
    "end\n";

static char script_path[256];

/* ---- a host for one instance -------------------------------------------- */

static void h_log(km_ctx_t *ctx, km_log_level_t level, const char *fmt, ...) {
	(void)ctx;
	(void)level;
	(void)fmt;
}
static const char *h_name(const km_ctx_t *ctx) {
	(void)ctx;
	return "fuzz/pipeline[0]";
}
static const char *h_alias(const km_ctx_t *ctx) {
	(void)ctx;
	return "a";
}
static const char *h_str(const km_params_t *p, const char *name) {
	(void)p;
	return !strcmp(name, "script") ? script_path : NULL;
}
static int64_t h_int(const km_params_t *p, const char *name) {
	(void)p;
	if (!strcmp(name, "memory_max"))
		return 16 << 20;
	if (!strcmp(name, "instructions_max"))
		return 1000000;
	return 1000; /* time_max */
}
static const km_value_t *h_tree(const km_params_t *p, const char *name) {
	(void)p;
	(void)name;
	return NULL;
}
static km_counter_t *h_counter(km_ctx_t *ctx, const char *name, const char *help) {
	(void)ctx;
	(void)name;
	(void)help;
	return NULL;
}
static void h_counter_add(km_counter_t *c, uint64_t v) {
	(void)c;
	(void)v;
}
static int32_t h_murmur2(const void *key, size_t len) {
	(void)key;
	return (int32_t)len;
}
static int32_t h_partitions(km_ctx_t *ctx, const char *topic) {
	(void)ctx;
	return topic[0] == 'c' ? 3 : -1;
}
static void h_param_error(km_ctx_t *ctx, const char *name, size_t item) {
	(void)ctx;
	(void)name;
	(void)item;
}

static const km_host_api_t host = {
    .abi_major = KM_PLUGIN_ABI_MAJOR,
    .abi_minor = KM_PLUGIN_ABI_MINOR,
    .size = sizeof(km_host_api_t),
    .log = h_log,
    .instance_name = h_name,
    .flow_source = h_alias,
    .flow_target = h_alias,
    .param_str = h_str,
    .param_int = h_int,
    .counter = h_counter,
    .counter_add = h_counter_add,
    .arena_alloc = km_batch_arena_alloc,
    .batch_add = km_batch_add,
    .murmur2 = h_murmur2,
    .target_partitions = h_partitions,
    .param_error = h_param_error,
    .param_tree = h_tree,
};

static void *inst;
static km_batchbuf_t bb;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
	char err[1024];
	FILE *fp;
	int fd;

	(void)argc;
	(void)argv;
	snprintf(script_path, sizeof(script_path), "/tmp/km-fuzz-lua-XXXXXX");
	if ((fd = mkstemp(script_path)) < 0 || !(fp = fdopen(fd, "w")) || fputs(script, fp) < 0 ||
	    fclose(fp) != 0)
		abort();
	if (km_plugin.create(&host, NULL, NULL, &inst, err, sizeof(err)) != KM_OK) {
		fprintf(stderr, "fuzz_lua_record: %s\n", err);
		abort();
	}
	unlink(script_path);
	if (km_batchbuf_init(&bb, 16, 4096, 8 << 20) != KM_OK)
		abort();
	return 0;
}

/* Bytes of the input: a length byte, then that many bytes (fewer at the
 * end). A length of 255 is null. */
static const uint8_t *take(const uint8_t **p, const uint8_t *end, size_t *len) {
	const uint8_t *s;
	size_t n;

	if (*p >= end)
		return *len = 0, NULL;
	n = *(*p)++;
	if (n == 255)
		return *len = 0, NULL;
	if (n > (size_t)(end - *p))
		n = (size_t)(end - *p);
	s = *p;
	*p += n;
	*len = n;
	return s;
}

static volatile uint8_t sink;

static void touch(const void *p, size_t n) {
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		sink ^= b[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	const uint8_t *p = data, *end = data + size;
	/* header names must be NUL-terminated: they come from here */
	static char names[64][8];
	km_header_t hdrs[64];
	size_t nh = 0;
	char msg[512];

	km_batchbuf_reset(&bb);
	while (p < end && bb.pub.cnt < 64) {
		km_record_t *r = km_batch_add(&bb.pub, NULL);
		size_t hc;

		r->key = take(&p, end, &r->key_len);
		r->value = take(&p, end, &r->value_len);
		r->timestamp = 1;
		r->topic = "orders";
		r->partition = 0;
		r->source_topic = "orders";
		r->source_partition = 0;
		r->source_offset = (int64_t)bb.pub.cnt;
		hc = p < end ? *p++ % 4 : 0;
		r->headers = &hdrs[nh];
		for (size_t i = 0; i < hc && nh < 64; i++, nh++) {
			size_t nl;
			const uint8_t *nm = take(&p, end, &nl);
			snprintf(names[nh], sizeof(names[nh]), "%.*s", (int)(nl < 7 ? nl : 7),
			         nm ? (const char *)nm : "");
			hdrs[nh].name = names[nh];
			hdrs[nh].value = take(&p, end, &hdrs[nh].value_len);
			r->header_cnt++;
		}
	}
	km_plugin.stage->process(inst, &bb.pub, msg, sizeof(msg));
	for (size_t i = 0; i < bb.pub.cnt; i++) {
		const km_record_t *r = km_batch_record(&bb.pub, i);
		if (r->key)
			touch(r->key, r->key_len);
		if (r->value)
			touch(r->value, r->value_len);
		if ((r->flags & KM_RECORD_F_ERROR) && !r->error)
			abort();
		if (r->error)
			touch(r->error, strlen(r->error));
		if (!r->topic)
			abort();
		touch(r->topic, strlen(r->topic));
		for (size_t h = 0; h < r->header_cnt; h++) {
			touch(r->headers[h].name, strlen(r->headers[h].name));
			if (r->headers[h].value)
				touch(r->headers[h].value, r->headers[h].value_len);
		}
	}
	return 0;
}
