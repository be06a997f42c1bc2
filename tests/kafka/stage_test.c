/* A record stage for the pipeline tests (not installed). Per batch:
 * records whose key starts with "drop" are dropped; records whose key
 * starts with "route" go to the topic `route_to`; records whose key starts
 * with "dup" get a copy added; every record kept gets the header
 * "stage: <name>" appended after its own. */
#include <stdlib.h>
#include <string.h>

#include <kmirror/plugin.h>

typedef struct stage {
	const km_host_api_t *host;
	const char *route_to;
	const char *name;
} stage_t;

static const km_param_t params[] = {
    {.name = "route_to",
     .type = KM_PARAM_STRING,
     .flags = KM_PARAM_F_REQUIRED,
     .doc = "topic that records keyed route* go to"},
    {.name = "name", .type = KM_PARAM_STRING, .def = "test", .doc = "value of the header"},
    {.name = NULL},
};

static km_err_t create(const km_host_api_t *host, km_ctx_t *ctx, const km_params_t *p, void **instp,
                       char *errstr, size_t errstr_size) {
	stage_t *st = calloc(1, sizeof(*st));

	(void)ctx;
	(void)errstr;
	(void)errstr_size;
	if (!st)
		return KM_ERR_NOMEM;
	st->host = host;
	st->route_to = host->param_str(p, "route_to");
	st->name = host->param_str(p, "name");
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

	for (size_t i = 0; i < n; i++) {
		km_record_t *r = &b->records[i], *c;
		km_header_t *h;

		if (key_starts(r, "drop")) {
			r->flags |= KM_RECORD_F_DROP;
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
		if (key_starts(r, "dup")) {
			km_record_t copy = *r;
			if (!(c = st->host->batch_add(b))) {
				strncpy(errstr, "batch full", errstr_size - 1);
				return KM_STAGE_ERROR;
			}
			*c = copy; /* batch_add may have moved the array: r is stale */
		}
	}
	return KM_STAGE_OK;
}

static const km_stage_ops_t ops = {.process = process};

KM_PLUGIN_DEFINE(.name = "stage_test", .version = "1", .kind = KM_PLUGIN_STAGE, .params = params,
                 .description = "pipeline test stage", .create = create, .destroy = destroy,
                 .stage = &ops);
