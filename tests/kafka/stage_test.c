/* A record stage for the pipeline tests (not installed). Per batch:
 * records whose key starts with "drop" are dropped; records whose key
 * starts with "fail" are failed one by one (KM_RECORD_F_ERROR); records
 * whose key starts with "route" go to the topic `route_to`; records whose
 * key starts with "dup" get a copy added (made from them); records whose
 * key starts with "parts" get the header "partitions: N", N the target's
 * partition count of their topic as the host tells it; every record kept
 * gets the header "stage: <name>" appended after its own. Its timer adds
 * one record (key "tick", value the tick's number) to `tick_to`, when set.
 * A batch holding a record whose key starts with `poison` (when set) fails
 * whole (KM_STAGE_ERROR). It counts the records it saw ("seen"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmirror/plugin.h>

typedef struct stage {
	const km_host_api_t *host;
	const char *route_to, *tick_to, *poison;
	const char *name;
	km_ctx_t *ctx;
	km_counter_t *seen;
	unsigned ticks;
} stage_t;

static const km_param_t params[] = {
    {.name = "route_to",
     .type = KM_PARAM_STRING,
     .flags = KM_PARAM_F_REQUIRED,
     .doc = "topic that records keyed route* go to"},
    {.name = "name", .type = KM_PARAM_STRING, .def = "test", .doc = "value of the header"},
    {.name = "tick_to", .type = KM_PARAM_STRING, .doc = "topic the timer's records go to"},
    {.name = "poison",
     .type = KM_PARAM_STRING,
     .doc = "key prefix of records that fail their whole batch"},
    {.name = NULL},
};

static km_err_t create(const km_host_api_t *host, km_ctx_t *ctx, const km_params_t *p, void **instp,
                       char *errstr, size_t errstr_size) {
	stage_t *st = calloc(1, sizeof(*st));

	(void)errstr;
	(void)errstr_size;
	if (!st)
		return KM_ERR_NOMEM;
	st->host = host;
	st->ctx = ctx;
	st->route_to = host->param_str(p, "route_to");
	st->tick_to = host->param_str(p, "tick_to");
	st->poison = host->param_str(p, "poison");
	st->name = host->param_str(p, "name");
	st->seen = host->counter(ctx, "seen", "records the stage saw");
	*instp = st;
	return KM_OK;
}

static void destroy(void *inst) {
	free(inst);
}

static int key_starts(const km_record_t *r, const char *prefix) {
	size_t n = strlen(prefix);

	return r->key && r->key_len >= n && !memcmp(r->key, prefix, n);
}

static km_stage_action_t process(void *inst, km_batch_t *b, char *errstr, size_t errstr_size) {
	stage_t *st = inst;
	size_t n = b->cnt;

	for (size_t i = 0; st->poison && i < n; i++) {
		if (key_starts(km_batch_record(b, i), st->poison)) {
			snprintf(errstr, errstr_size, "a poisoned batch");
			return KM_STAGE_ERROR;
		}
	}
	for (size_t i = 0; i < n; i++) {
		km_record_t *r = km_batch_record(b, i), *c;
		km_header_t *h;

		if (key_starts(r, "drop")) {
			r->flags |= KM_RECORD_F_DROP;
			continue;
		}
		if (key_starts(r, "fail")) {
			r->flags |= KM_RECORD_F_ERROR;
			r->error = "stage_test fails records keyed fail*";
			continue;
		}
		if (key_starts(r, "route"))
			r->topic = st->route_to;
		h = st->host->arena_alloc(b, (r->header_cnt + 1) * sizeof(*h));
		if (!h) {
			strncpy(errstr, "arena exhausted", errstr_size - 1);
			return KM_STAGE_ERROR;
		}
		if (r->header_cnt)
			memcpy(h, r->headers, r->header_cnt * sizeof(*h));
		h[r->header_cnt].name = "stage";
		h[r->header_cnt].value = st->name;
		h[r->header_cnt].value_len = strlen(st->name);
		r->headers = h;
		r->header_cnt++;
		if (key_starts(r, "parts")) {
			char *v = st->host->arena_alloc(b, 16);
			km_header_t *h2 =
			    st->host->arena_alloc(b, (r->header_cnt + 1) * sizeof(*h2));
			if (!v || !h2) {
				strncpy(errstr, "arena exhausted", errstr_size - 1);
				return KM_STAGE_ERROR;
			}
			snprintf(v, 16, "%d", (int)st->host->target_partitions(st->ctx, r->topic));
			memcpy(h2, r->headers, r->header_cnt * sizeof(*h2));
			h2[r->header_cnt] =
			    (km_header_t){.name = "partitions", .value = v, .value_len = strlen(v)};
			r->headers = h2;
			r->header_cnt++;
		}
		if (key_starts(r, "dup")) {
			/* a copy made from r: r is done when both are acknowledged */
			if (!(c = st->host->batch_add(b, r))) {
				strncpy(errstr, "batch full", errstr_size - 1);
				return KM_STAGE_ERROR;
			}
			(void)c; /* batch_add may have moved the array: r is stale */
		}
	}
	st->host->counter_add(st->seen, n); /* once per batch */
	return KM_STAGE_OK;
}

static km_stage_action_t tick(void *inst, km_batch_t *b, int64_t now_ms, char *errstr,
                              size_t errstr_size) {
	stage_t *st = inst;
	km_record_t *r;
	char *v;

	(void)now_ms;
	if (!st->tick_to)
		return KM_STAGE_OK;
	if (!(r = st->host->batch_add(b, NULL)) || !(v = st->host->arena_alloc(b, 16))) {
		strncpy(errstr, "batch full", errstr_size - 1);
		return KM_STAGE_ERROR;
	}
	snprintf(v, 16, "%u", ++st->ticks);
	r->topic = st->tick_to;
	r->partition = 0;
	r->key = "tick";
	r->key_len = 4;
	r->value = v;
	r->value_len = strlen(v);
	return KM_STAGE_OK;
}

static const km_stage_ops_t ops = {KM_OPS(km_stage_ops_t), .process = process, .tick = tick};

KM_PLUGIN_DEFINE(.name = "stage_test", .version = "1", .kind = KM_PLUGIN_STAGE, .params = params,
                 .description = "pipeline test stage", .create = create, .destroy = destroy,
                 .stage = &ops);
