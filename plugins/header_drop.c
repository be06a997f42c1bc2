/* The header_drop record stage: removes the headers whose name is in a list
 * or matches a regular expression. A record that has none of them is left
 * as it is; one that has some gets a new header array from the arena. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmirror/plugin.h>

#include "transform_regex.h"

typedef struct header_drop {
	const km_host_api_t *hd_host;
	km_ctx_t *hd_ctx;
	const char *const *hd_names;
	size_t hd_name_cnt;
	tx_regex_t hd_re; /* txr_code NULL: no regex */
	km_counter_t *hd_dropped;
	int hd_warned; /* a matching error was logged */
} header_drop_t;

static const km_param_t header_drop_params[] = {
    {.name = "names",
     .type = KM_PARAM_LIST,
     .doc = "Remove the headers with these exact names (case-sensitive), every occurrence."},
    {.name = "regex",
     .type = KM_PARAM_STRING,
     .doc = "Remove the headers whose whole name matches this PCRE2 regular expression."},
    {.name = NULL},
};

static void header_drop_destroy(void *inst) {
	header_drop_t *hd = inst;

	tx_regex_free(&hd->hd_re);
	free(hd);
}

static km_err_t header_drop_create(const km_host_api_t *host, km_ctx_t *ctx,
                                   const km_params_t *params, void **instp, char *errstr,
                                   size_t errstr_size) {
	header_drop_t *hd = calloc(1, sizeof(*hd));
	const char *regex;
	km_err_t err = KM_OK;

	if (!hd) {
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	hd->hd_host = host;
	hd->hd_ctx = ctx;
	hd->hd_name_cnt = host->param_list(params, "names", &hd->hd_names);
	regex = host->param_str(params, "regex");
	if (!hd->hd_name_cnt && !regex) {
		err = tx_refuse(host, ctx, "names", 0, errstr, errstr_size,
		                "no header to remove; give names (a list of header names), regex "
		                "(a pattern for whole header names), or both");
		goto out;
	}
	for (size_t i = 0; i < hd->hd_name_cnt; i++) {
		if (!*hd->hd_names[i]) {
			err = tx_refuse(host, ctx, "names", i + 1, errstr, errstr_size,
			                "a header name cannot be empty; give the names of the "
			                "headers to remove");
			goto out;
		}
	}
	if (regex && (err = tx_regex_compile(&hd->hd_re, host, ctx, "regex", regex, TX_REGEX_TEXT,
	                                     "matched against whole header names", errstr,
	                                     errstr_size)) != KM_OK)
		goto out;
	hd->hd_dropped = host->counter(ctx, "headers_dropped", "headers removed from records");
	*instp = hd;
	hd = NULL;
out:
	if (hd)
		header_drop_destroy(hd);
	return err;
}

/* 1 when the header named @p name goes. */
static int hd_drops(header_drop_t *hd, const char *name) {
	int rc;

	for (size_t i = 0; i < hd->hd_name_cnt; i++)
		if (strcmp(hd->hd_names[i], name) == 0)
			return 1;
	if (!hd->hd_re.txr_code)
		return 0;
	if ((rc = tx_regex_match(&hd->hd_re, name, strlen(name))) < 0) {
		/* kept: a header that cannot be matched is not known to match */
		if (!hd->hd_warned) {
			hd->hd_warned = 1;
			hd->hd_host->log(hd->hd_ctx, KM_LOG_WARNING,
			                 "matching header \"%s\" failed (PCRE2 error %d); such "
			                 "headers are kept (logged once)",
			                 name, rc);
		}
		return 0;
	}
	return rc;
}

static km_stage_action_t header_drop_process(void *inst, km_batch_t *b, char *errstr,
                                             size_t errstr_size) {
	header_drop_t *hd = inst;
	uint64_t dropped = 0;

	for (size_t i = 0; i < b->cnt; i++) {
		km_record_t *r = km_batch_record(b, i);
		size_t first, keep;
		km_header_t *h;

		if (r->flags & (KM_RECORD_F_DROP | KM_RECORD_F_ERROR))
			continue;
		for (first = 0; first < r->header_cnt; first++)
			if (hd_drops(hd, r->headers[first].name))
				break;
		if (first == r->header_cnt)
			continue; /* nothing to remove: the headers stay as they are */
		if (!(h = hd->hd_host->arena_alloc(b, r->header_cnt * sizeof(*h))))
			return tx_arena_full("header_drop", errstr, errstr_size);
		memcpy(h, r->headers, first * sizeof(*h));
		keep = first;
		for (size_t j = first + 1; j < r->header_cnt; j++)
			if (!hd_drops(hd, r->headers[j].name))
				h[keep++] = r->headers[j];
		dropped += r->header_cnt - keep;
		r->headers = keep ? h : NULL;
		r->header_cnt = keep;
	}
	if (dropped)
		hd->hd_host->counter_add(hd->hd_dropped, dropped);
	return KM_STAGE_OK;
}

static const km_stage_ops_t header_drop_ops = {
    KM_OPS(km_stage_ops_t),
    .process = header_drop_process,
};

KM_PLUGIN_DEFINE(.name = "header_drop", .version = "1.0.0", .kind = KM_PLUGIN_STAGE,
                 .params = header_drop_params,
                 .description = "Removes record headers by name or by a regular expression.",
                 .create = header_drop_create, .destroy = header_drop_destroy,
                 .stage = &header_drop_ops);
