/* Include and exclude lists of whole-match regular expressions, the one
 * implementation of MirrorMaker 2's default topic, group and
 * config-property filters (regex_list.h). */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdio.h>
#include <stdlib.h>

#include <pcre2.h>

#include "regex_list.h"

/* One compiled list of patterns. */
typedef struct rl_list {
	pcre2_code **rll_codes;
	size_t rll_cnt;
} rl_list_t;

struct rl_filter {
	const km_host_api_t *rl_host;
	km_ctx_t *rl_ctx;
	const char *rl_noun;
	int rl_has_include;
	rl_list_t rl_include;
	rl_list_t rl_exclude;
	/* Shared by all patterns: the host calls a filter from one thread. */
	pcre2_match_data *rl_md;
};

static void rl_list_free(rl_list_t *l) {
	for (size_t i = 0; i < l->rll_cnt; i++)
		pcre2_code_free(l->rll_codes[i]);
	free(l->rll_codes);
	l->rll_codes = NULL;
	l->rll_cnt = 0;
}

/* Compiles every pattern of the LIST parameter @p name, anchored at both ends
 * as Java's Matcher.matches(). A pattern that does not compile is named to
 * the host (param_error), so the message points at it. */
static km_err_t rl_list_compile(rl_list_t *l, const km_host_api_t *host, km_ctx_t *ctx,
                                const km_params_t *params, const char *name, const char *what,
                                char *errstr, size_t errstr_size) {
	const char *const *items = NULL;
	size_t cnt = host->param_list(params, name, &items);

	l->rll_codes = NULL;
	l->rll_cnt = 0;
	if (cnt == 0)
		return KM_OK;
	if (!(l->rll_codes = calloc(cnt, sizeof(*l->rll_codes)))) {
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	for (size_t i = 0; i < cnt; i++) {
		int errcode;
		PCRE2_SIZE erroff;
		PCRE2_UCHAR msg[256];

		l->rll_codes[i] = pcre2_compile((PCRE2_SPTR)items[i], PCRE2_ZERO_TERMINATED,
		                                PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED,
		                                &errcode, &erroff, NULL);
		if (!l->rll_codes[i]) {
			if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
				snprintf((char *)msg, sizeof(msg), "PCRE2 error %d", errcode);
			if (KM_HOST_HAS(host, param_error))
				host->param_error(ctx, name, i + 1);
			snprintf(errstr, errstr_size,
			         "'%s' is not a valid regular expression: %s at offset %zu; the "
			         "items are PCRE2 patterns, each matched against whole %s",
			         items[i], (const char *)msg, (size_t)erroff, what);
			rl_list_free(l);
			return KM_ERR_INVALID;
		}
		l->rll_cnt++;
	}
	return KM_OK;
}

void rl_filter_destroy(rl_filter_t *rl) {
	if (!rl)
		return;
	rl_list_free(&rl->rl_include);
	rl_list_free(&rl->rl_exclude);
	pcre2_match_data_free(rl->rl_md);
	free(rl);
}

km_err_t rl_filter_create(rl_filter_t **rlp, const km_host_api_t *host, km_ctx_t *ctx,
                          const km_params_t *params, int has_include, const char *what,
                          const char *noun, char *errstr, size_t errstr_size) {
	rl_filter_t *rl = calloc(1, sizeof(*rl));
	km_err_t err = KM_OK;

	if (!rl) {
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	rl->rl_host = host;
	rl->rl_ctx = ctx;
	rl->rl_noun = noun;
	rl->rl_has_include = has_include;
	if ((has_include && (err = rl_list_compile(&rl->rl_include, host, ctx, params, "include",
	                                           what, errstr, errstr_size)) != KM_OK) ||
	    (err = rl_list_compile(&rl->rl_exclude, host, ctx, params, "exclude", what, errstr,
	                           errstr_size)) != KM_OK)
		goto out;
	/* One pair is enough: only whether it matched is read. */
	if (!(rl->rl_md = pcre2_match_data_create(1, NULL))) {
		snprintf(errstr, errstr_size, "out of memory");
		err = KM_ERR_NOMEM;
		goto out;
	}
	*rlp = rl;
	rl = NULL;
out:
	rl_filter_destroy(rl);
	return err;
}

/* 1 when @p name fully matches a pattern of @p l, 0 when none does, -1 on a
 * matching error (logged). */
static int rl_list_match(rl_filter_t *rl, const rl_list_t *l, const char *which, const char *name) {
	for (size_t i = 0; i < l->rll_cnt; i++) {
		int rc = pcre2_match(l->rll_codes[i], (PCRE2_SPTR)name, PCRE2_ZERO_TERMINATED, 0, 0,
		                     rl->rl_md, NULL);

		if (rc >= 0)
			return 1;
		if (rc != PCRE2_ERROR_NOMATCH) {
			PCRE2_UCHAR msg[128];

			if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
				snprintf((char *)msg, sizeof(msg), "PCRE2 error %d", rc);
			rl->rl_host->log(rl->rl_ctx, KM_LOG_WARNING,
			                 "%s \"%s\" rejected: matching %s pattern %zu failed: %s",
			                 rl->rl_noun, name, which, i + 1, (const char *)msg);
			return -1;
		}
	}
	return 0;
}

km_filter_result_t rl_filter_match(rl_filter_t *rl, const char *name) {
	if (!name)
		return KM_FILTER_REJECT;
	if (rl->rl_has_include && rl_list_match(rl, &rl->rl_include, "include", name) != 1)
		return KM_FILTER_REJECT;
	if (rl_list_match(rl, &rl->rl_exclude, "exclude", name) != 0)
		return KM_FILTER_REJECT;
	return KM_FILTER_ACCEPT;
}
