/* The filter record stage: a record matches when every condition given
 * holds (a header, a header's value, the key, a null value, the age of its
 * timestamp); `action` says whether matching records are the ones kept or
 * the ones dropped. The wall clock is read once per batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmirror/plugin.h>

#include "transform_regex.h"

#define FI_CONDITIONS                                                                              \
	"header (with header.value or header.regex), key.regex, value.null, older_than"

typedef struct filter {
	const km_host_api_t *fi_host;
	km_ctx_t *fi_ctx;
	int fi_keep; /* action: keep */
	const char *fi_header;
	const char *fi_hvalue;
	size_t fi_hvalue_len;
	tx_regex_t fi_hre, fi_kre; /* txr_code NULL: not given */
	int fi_null;               /* value.null: -1 not given, 0 or 1 */
	int64_t fi_older;          /* older_than in ms; 0: not given */
	km_counter_t *fi_dropped;
	int fi_warned;
} filter_t;

static const km_param_t filter_params[] = {
    {.name = "action",
     .type = KM_PARAM_ENUM,
     .flags = KM_PARAM_F_REQUIRED,
     .choices = "keep|drop",
     .doc = "What happens to a record that matches every condition given: keep (and drop the "
            "others) or drop (and keep the others)."},
    {.name = "header",
     .type = KM_PARAM_STRING,
     .doc = "Condition: the record has a header of this name (any of them, when repeated)."},
    {.name = "header.value",
     .type = KM_PARAM_STRING,
     .doc = "With header: a header of that name has exactly this value (a null-valued header "
            "has none)."},
    {.name = "header.regex",
     .type = KM_PARAM_STRING,
     .doc = "With header: a header of that name has a value that this PCRE2 regular "
            "expression matches whole, as bytes."},
    {.name = "key.regex",
     .type = KM_PARAM_STRING,
     .doc = "Condition: the key is not null and this PCRE2 regular expression matches it "
            "whole, as bytes."},
    {.name = "value.null",
     .type = KM_PARAM_BOOL,
     .doc = "Condition: true, the value is null (a tombstone); false, it is not."},
    {.name = "older_than",
     .type = KM_PARAM_DURATION,
     .min = 1,
     .max = INT64_MAX / 2,
     .doc = "Condition: the record's timestamp is older than this, against the wall clock "
            "(records without a timestamp never match)."},
    {.name = NULL},
};

static void filter_destroy(void *inst) {
	filter_t *fi = inst;

	tx_regex_free(&fi->fi_hre);
	tx_regex_free(&fi->fi_kre);
	free(fi);
}

static km_err_t filter_create(const km_host_api_t *host, km_ctx_t *ctx, const km_params_t *params,
                              void **instp, char *errstr, size_t errstr_size) {
	filter_t *fi = calloc(1, sizeof(*fi));
	const char *hregex, *kregex;
	km_err_t err = KM_OK;

	if (!fi) {
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	fi->fi_host = host;
	fi->fi_ctx = ctx;
	fi->fi_keep = strcmp(host->param_str(params, "action"), "keep") == 0;
	fi->fi_header = host->param_str(params, "header");
	fi->fi_hvalue = host->param_str(params, "header.value");
	fi->fi_hvalue_len = fi->fi_hvalue ? strlen(fi->fi_hvalue) : 0;
	hregex = host->param_str(params, "header.regex");
	kregex = host->param_str(params, "key.regex");
	fi->fi_null =
	    host->param_isset(params, "value.null") ? host->param_bool(params, "value.null") : -1;
	fi->fi_older =
	    host->param_isset(params, "older_than") ? host->param_int(params, "older_than") : 0;
	if (fi->fi_header && !*fi->fi_header) {
		err = tx_refuse(host, ctx, "header", 0, errstr, errstr_size,
		                "a header name cannot be empty; give the name of the header the "
		                "condition is about");
		goto out;
	}
	if ((fi->fi_hvalue || hregex) && !fi->fi_header) {
		err = tx_refuse(host, ctx, fi->fi_hvalue ? "header.value" : "header.regex", 0,
		                errstr, errstr_size,
		                "needs header, the name of the header whose value is "
		                "compared; give it too");
		goto out;
	}
	if (fi->fi_hvalue && hregex) {
		err = tx_refuse(host, ctx, "header.regex", 0, errstr, errstr_size,
		                "header.value is given too; give header.value (an exact value) or "
		                "header.regex (a pattern), not both");
		goto out;
	}
	if (!fi->fi_header && !kregex && fi->fi_null < 0 && !fi->fi_older) {
		err = tx_refuse(
		    host, ctx, "action", 0, errstr, errstr_size,
		    "there is no condition to match; give at least one of " FI_CONDITIONS);
		goto out;
	}
	if ((hregex &&
	     (err = tx_regex_compile(&fi->fi_hre, host, ctx, "header.regex", hregex, TX_REGEX_BYTES,
	                             "matched against whole header values", errstr, errstr_size)) !=
	         KM_OK) ||
	    (kregex &&
	     (err = tx_regex_compile(&fi->fi_kre, host, ctx, "key.regex", kregex, TX_REGEX_BYTES,
	                             "matched against whole keys", errstr, errstr_size)) != KM_OK))
		goto out;
	fi->fi_dropped = host->counter(ctx, "dropped", "records the filter dropped");
	*instp = fi;
	fi = NULL;
out:
	if (fi)
		filter_destroy(fi);
	return err;
}

/* tx_regex_match(), with a matching error (e.g. PCRE2's match limit) taken
 * as no match and logged once. */
static int fi_match(filter_t *fi, const tx_regex_t *re, const void *s, size_t len) {
	int rc = tx_regex_match(re, s, len);

	if (rc < 0) {
		if (!fi->fi_warned) {
			fi->fi_warned = 1;
			fi->fi_host->log(fi->fi_ctx, KM_LOG_WARNING,
			                 "a regular expression failed to match (PCRE2 error %d): "
			                 "taken as no match (logged once)",
			                 rc);
		}
		return 0;
	}
	return rc;
}

/* 1 when a header named fi_header satisfies the header conditions. */
static int fi_header_matches(filter_t *fi, const km_record_t *r) {
	for (size_t j = 0; j < r->header_cnt; j++) {
		const km_header_t *h = &r->headers[j];

		if (strcmp(h->name, fi->fi_header) != 0)
			continue;
		if (fi->fi_hvalue) {
			if (h->value && h->value_len == fi->fi_hvalue_len &&
			    memcmp(h->value, fi->fi_hvalue, h->value_len) == 0)
				return 1;
		} else if (fi->fi_hre.txr_code) {
			if (h->value && fi_match(fi, &fi->fi_hre, h->value, h->value_len))
				return 1;
		} else {
			return 1;
		}
	}
	return 0;
}

static int fi_matches(filter_t *fi, const km_record_t *r, int64_t cutoff) {
	if (fi->fi_null >= 0 && (r->value == NULL) != fi->fi_null)
		return 0;
	if (fi->fi_older && (r->timestamp < 0 || r->timestamp >= cutoff))
		return 0;
	if (fi->fi_kre.txr_code && (!r->key || !fi_match(fi, &fi->fi_kre, r->key, r->key_len)))
		return 0;
	if (fi->fi_header && !fi_header_matches(fi, r))
		return 0;
	return 1;
}

static km_stage_action_t filter_process(void *inst, km_batch_t *b, char *errstr,
                                        size_t errstr_size) {
	filter_t *fi = inst;
	int64_t cutoff = fi->fi_older ? tx_now_ms() - fi->fi_older : 0;
	uint64_t dropped = 0;

	(void)errstr;
	(void)errstr_size;
	for (size_t i = 0; i < b->cnt; i++) {
		km_record_t *r = km_batch_record(b, i);

		if (r->flags & (KM_RECORD_F_DROP | KM_RECORD_F_ERROR))
			continue;
		if (fi_matches(fi, r, cutoff) != fi->fi_keep) {
			r->flags |= KM_RECORD_F_DROP;
			dropped++;
		}
	}
	if (dropped)
		fi->fi_host->counter_add(fi->fi_dropped, dropped);
	return KM_STAGE_OK;
}

static const km_stage_ops_t filter_ops = {
    KM_OPS(km_stage_ops_t),
    .process = filter_process,
};

KM_PLUGIN_DEFINE(.name = "filter", .version = "1.0.0", .kind = KM_PLUGIN_STAGE,
                 .params = filter_params,
                 .description = "Keeps or drops records by a header, a header's value, the "
                                "key, a null value or the age of the timestamp.",
                 .create = filter_create, .destroy = filter_destroy, .stage = &filter_ops);
