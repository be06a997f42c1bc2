/* DefaultReplicationPolicy's naming (MM2 reference §1.1, §3.1), shared by the
 * prefix and identity plugins. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_common.h"

#define KM_PFX_HEARTBEATS "heartbeats"

const km_param_t km_pfx_params[] = {
    {.name = "separator",
     .type = KM_PARAM_STRING,
     .def = ".",
     .doc = "Put between the source alias and the topic name of a remote topic; not empty "
            "(replication.policy.separator)."},
    {.name = "internal.topic.separator.enabled",
     .type = KM_PARAM_BOOL,
     .def = "true",
     .doc = "Use an explicitly set separator in the checkpoints and offset-syncs topic names "
            "too (replication.policy.internal.topic.separator.enabled)."},
    {.name = NULL},
};

static char *km_pfx_strcat3(const char *a, const char *b, const char *c) {
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);

	if (!s)
		return NULL;
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

km_err_t km_pfx_init(km_pfx_t *pfx, const km_host_api_t *host, km_ctx_t *ctx,
                     const km_params_t *params, char *errstr, size_t errstr_size) {
	const char *sep = host->param_str(params, "separator");
	const char *isep = ".";

	memset(pfx, 0, sizeof(*pfx));
	if (!sep || !*sep) {
		if (KM_HOST_HAS(host, param_error))
			host->param_error(ctx, "separator", 0);
		snprintf(errstr, errstr_size,
		         "'' is not allowed; give a non-empty separator such as '_', or remove the "
		         "key to use '.'");
		return KM_ERR_INVALID;
	}
	/* MM2 reads the flag only when the separator key is present. */
	if (host->param_isset(params, "separator") &&
	    host->param_bool(params, "internal.topic.separator.enabled"))
		isep = sep;

	pfx->pfx_sep = km_pfx_strcat3(sep, "", "");
	pfx->pfx_isep = km_pfx_strcat3(isep, "", "");
	if (!pfx->pfx_sep || !pfx->pfx_isep) {
		km_pfx_fini(pfx);
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	pfx->pfx_seplen = strlen(sep);
	return KM_OK;
}

void km_pfx_fini(km_pfx_t *pfx) {
	free(pfx->pfx_sep);
	free(pfx->pfx_isep);
	memset(pfx, 0, sizeof(*pfx));
}

/* snprintf into buf; a name that does not fit is an error, never cut. */
static km_err_t km_pfx_fmt(char *buf, size_t size, const char *fmt, ...) KM_PRINTF(3, 4);

static km_err_t km_pfx_fmt(char *buf, size_t size, const char *fmt, ...) {
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		if (buf && size > 0)
			buf[0] = '\0';
		return KM_ERR_INVALID;
	}
	return KM_OK;
}

km_err_t km_pfx_put(char *buf, size_t size, const char *s) {
	return km_pfx_fmt(buf, size, "%s", s);
}

static km_err_t km_pfx_fail(char *buf, size_t size, km_err_t err) {
	if (buf && size > 0)
		buf[0] = '\0';
	return err;
}

km_err_t km_pfx_format_remote_topic(const km_pfx_t *pfx, const char *source_alias,
                                    const char *topic, char *buf, size_t size) {
	if (!source_alias || !topic)
		return km_pfx_fail(buf, size, KM_ERR_INVALID);
	return km_pfx_fmt(buf, size, "%s%s%s", source_alias, pfx->pfx_sep, topic);
}

/* Java splits the topic on the literal separator and drops trailing empty
 * pieces; the topic is remote when two or more pieces remain. Equivalently:
 * there is a separator, and after it (and any separators directly following
 * it) something is left. Returns the first separator, or NULL. */
static const char *km_pfx_source_end(const km_pfx_t *pfx, const char *topic) {
	const char *p = strstr(topic, pfx->pfx_sep);
	const char *rest;

	if (!p)
		return NULL;
	rest = p + pfx->pfx_seplen;
	while (strncmp(rest, pfx->pfx_sep, pfx->pfx_seplen) == 0)
		rest += pfx->pfx_seplen;
	return *rest ? p : NULL;
}

km_err_t km_pfx_topic_source(const km_pfx_t *pfx, const char *topic, char *buf, size_t size) {
	const char *end;

	if (!topic)
		return km_pfx_fail(buf, size, KM_ERR_INVALID);
	if (!(end = km_pfx_source_end(pfx, topic)))
		return km_pfx_fail(buf, size, KM_ERR_NOENT);
	return km_pfx_fmt(buf, size, "%.*s", (int)(end - topic), topic);
}

km_err_t km_pfx_upstream_topic(const km_pfx_t *pfx, const char *topic, char *buf, size_t size) {
	const char *end;

	if (!topic)
		return km_pfx_fail(buf, size, KM_ERR_INVALID);
	if (!(end = km_pfx_source_end(pfx, topic)))
		return km_pfx_fail(buf, size, KM_ERR_NOENT);
	return km_pfx_put(buf, size, end + pfx->pfx_seplen);
}

km_err_t km_pfx_heartbeats_topic(char *buf, size_t size) {
	return km_pfx_put(buf, size, KM_PFX_HEARTBEATS);
}

km_err_t km_pfx_checkpoints_topic(const km_pfx_t *pfx, const char *alias, char *buf, size_t size) {
	if (!alias)
		return km_pfx_fail(buf, size, KM_ERR_INVALID);
	return km_pfx_fmt(buf, size, "%s%scheckpoints%sinternal", alias, pfx->pfx_isep,
	                  pfx->pfx_isep);
}

km_err_t km_pfx_offset_syncs_topic(const km_pfx_t *pfx, const char *alias, char *buf, size_t size) {
	if (!alias)
		return km_pfx_fail(buf, size, KM_ERR_INVALID);
	return km_pfx_fmt(buf, size, "mm2-offset-syncs%s%s%sinternal", pfx->pfx_isep, alias,
	                  pfx->pfx_isep);
}

/* When @p s ends with @p suffix, the length of what precedes it, else -1. */
static long km_pfx_before_suffix(const char *s, size_t len, const char *suffix) {
	size_t sl = strlen(suffix);

	if (sl > len || memcmp(s + len - sl, suffix, sl) != 0)
		return -1;
	return (long)(len - sl);
}

static int km_pfx_ends_with(const char *s, const char *suffix) {
	return km_pfx_before_suffix(s, strlen(s), suffix) >= 0;
}

int km_pfx_is_checkpoints_topic(const km_pfx_t *pfx, const char *topic) {
	long n;

	if (!topic)
		return 0;
	/* I + "checkpoints" + I + "internal", read from the end */
	n = km_pfx_before_suffix(topic, strlen(topic), "internal");
	if (n >= 0)
		n = km_pfx_before_suffix(topic, (size_t)n, pfx->pfx_isep);
	if (n >= 0)
		n = km_pfx_before_suffix(topic, (size_t)n, "checkpoints");
	if (n >= 0)
		n = km_pfx_before_suffix(topic, (size_t)n, pfx->pfx_isep);
	return n >= 0;
}

int km_pfx_is_internal_topic(const km_pfx_t *pfx, const char *topic) {
	long n;

	if (!topic)
		return 0;
	/* isMM2InternalTopic: I + "internal" */
	n = km_pfx_before_suffix(topic, strlen(topic), "internal");
	if (n >= 0 && km_pfx_before_suffix(topic, (size_t)n, pfx->pfx_isep) >= 0)
		return 1;
	return strncmp(topic, "__", 2) == 0 || topic[0] == '.' ||
	       km_pfx_ends_with(topic, "-internal") || km_pfx_ends_with(topic, ".internal");
}

int km_pfx_looks_like_heartbeats(const char *topic) {
	return topic && km_pfx_ends_with(topic, KM_PFX_HEARTBEATS);
}
