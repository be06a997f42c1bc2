/* The topic_regex topic filter: MirrorMaker 2's DefaultTopicFilter. A topic
 * is replicated when it fully matches an include pattern and no exclude
 * pattern; exclude wins. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdio.h>
#include <stdlib.h>

#include <pcre2.h>

#include <kmirror/plugin.h>

/* One compiled list of patterns. */
typedef struct tr_list {
	pcre2_code **trl_codes;
	size_t trl_cnt;
} tr_list_t;

typedef struct topic_regex {
	const km_host_api_t *tr_host;
	km_ctx_t *tr_ctx;
	tr_list_t tr_include;
	tr_list_t tr_exclude;
	/* Shared by all patterns: filter() runs on the main thread only. */
	pcre2_match_data *tr_md;
} topic_regex_t;

static const km_param_t topic_regex_params[] = {
    {.name = "include",
     .type = KM_PARAM_LIST,
     .def = ".*",
     .doc = "Replicate the topics whose whole name matches one of these regular expressions "
            "(topics); an empty list matches nothing."},
    {.name = "exclude",
     .type = KM_PARAM_LIST,
     .def = ".*[\\-\\.]internal,.*\\.replica,__.*",
     .doc = "But not those whose whole name matches one of these (topics.exclude); exclude "
            "wins over include."},
    {.name = NULL},
};

static void tr_list_free(tr_list_t *l) {
	for (size_t i = 0; i < l->trl_cnt; i++)
		pcre2_code_free(l->trl_codes[i]);
	free(l->trl_codes);
	l->trl_codes = NULL;
	l->trl_cnt = 0;
}

/* Compiles every pattern of the LIST parameter @p name, anchored at both ends
 * as Java's Matcher.matches(). A pattern that does not compile is named to
 * the host (param_error), so the message points at it. */
static km_err_t tr_list_compile(tr_list_t *l, const km_host_api_t *host, km_ctx_t *ctx,
                                const km_params_t *params, const char *name, char *errstr,
                                size_t errstr_size) {
	const char *const *items = NULL;
	size_t cnt = host->param_list(params, name, &items);

	l->trl_codes = NULL;
	l->trl_cnt = 0;
	if (cnt == 0)
		return KM_OK;
	if (!(l->trl_codes = calloc(cnt, sizeof(*l->trl_codes)))) {
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	for (size_t i = 0; i < cnt; i++) {
		int errcode;
		PCRE2_SIZE erroff;
		PCRE2_UCHAR msg[256];

		l->trl_codes[i] = pcre2_compile((PCRE2_SPTR)items[i], PCRE2_ZERO_TERMINATED,
		                                PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED,
		                                &errcode, &erroff, NULL);
		if (!l->trl_codes[i]) {
			if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
				snprintf((char *)msg, sizeof(msg), "PCRE2 error %d", errcode);
			if (KM_HOST_HAS(host, param_error))
				host->param_error(ctx, name, i + 1);
			snprintf(errstr, errstr_size,
			         "'%s' is not a valid regular expression: %s at offset %zu; the "
			         "items are PCRE2 patterns, each matched against whole topic names",
			         items[i], (const char *)msg, (size_t)erroff);
			tr_list_free(l);
			return KM_ERR_INVALID;
		}
		l->trl_cnt++;
	}
	return KM_OK;
}

static void topic_regex_destroy(void *inst) {
	topic_regex_t *tr = inst;

	tr_list_free(&tr->tr_include);
	tr_list_free(&tr->tr_exclude);
	pcre2_match_data_free(tr->tr_md);
	free(tr);
}

static km_err_t topic_regex_create(const km_host_api_t *host, km_ctx_t *ctx,
                                   const km_params_t *params, void **instp, char *errstr,
                                   size_t errstr_size) {
	topic_regex_t *tr = calloc(1, sizeof(*tr));
	km_err_t err;

	if (!tr) {
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	tr->tr_host = host;
	tr->tr_ctx = ctx;
	if ((err = tr_list_compile(&tr->tr_include, host, ctx, params, "include", errstr,
	                           errstr_size)) != KM_OK ||
	    (err = tr_list_compile(&tr->tr_exclude, host, ctx, params, "exclude", errstr,
	                           errstr_size)) != KM_OK)
		goto out;
	/* One pair is enough: only whether it matched is read. */
	if (!(tr->tr_md = pcre2_match_data_create(1, NULL))) {
		snprintf(errstr, errstr_size, "out of memory");
		err = KM_ERR_NOMEM;
		goto out;
	}
	*instp = tr;
	tr = NULL;
out:
	if (tr)
		topic_regex_destroy(tr);
	return err;
}

/* 1 when @p topic fully matches a pattern of @p l, 0 when none does, -1 on a
 * matching error (logged). */
static int tr_list_match(topic_regex_t *tr, const tr_list_t *l, const char *what,
                         const char *topic) {
	for (size_t i = 0; i < l->trl_cnt; i++) {
		int rc = pcre2_match(l->trl_codes[i], (PCRE2_SPTR)topic, PCRE2_ZERO_TERMINATED, 0,
		                     0, tr->tr_md, NULL);

		if (rc >= 0)
			return 1;
		if (rc != PCRE2_ERROR_NOMATCH) {
			PCRE2_UCHAR msg[128];

			if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
				snprintf((char *)msg, sizeof(msg), "PCRE2 error %d", rc);
			tr->tr_host->log(
			    tr->tr_ctx, KM_LOG_WARNING,
			    "topic \"%s\" rejected: matching %s pattern %zu failed: %s", topic,
			    what, i + 1, (const char *)msg);
			return -1;
		}
	}
	return 0;
}

static km_filter_result_t topic_regex_filter(void *inst, const char *topic) {
	topic_regex_t *tr = inst;

	if (!topic)
		return KM_FILTER_REJECT;
	if (tr_list_match(tr, &tr->tr_include, "include", topic) != 1)
		return KM_FILTER_REJECT;
	if (tr_list_match(tr, &tr->tr_exclude, "exclude", topic) != 0)
		return KM_FILTER_REJECT;
	return KM_FILTER_ACCEPT;
}

static const km_topic_filter_ops_t topic_regex_ops = {
    KM_OPS(km_topic_filter_ops_t),
    .filter = topic_regex_filter,
};

/* The instance's match data is its own: the host calls it from one thread. */
KM_PLUGIN_DEFINE(.name = "topic_regex", .version = "1.0.0", .kind = KM_PLUGIN_TOPIC_FILTER,
                 .params = topic_regex_params,
                 .description = "Selects topics by full-match regular expression lists, as "
                                "MirrorMaker 2's DefaultTopicFilter.",
                 .create = topic_regex_create, .destroy = topic_regex_destroy,
                 .topic_filter = &topic_regex_ops);
