/* The topic_router record stage: Kafka Connect's RegexRouter. A record whose
 * target topic fully matches `regex` goes to `replacement`, with $0..$9
 * replaced by the match's groups; other records keep their topic. The new
 * name is made in the batch arena, once per batch for each run of records
 * with the same topic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmirror/plugin.h>

#include "transform_regex.h"

/* Kafka's limit on topic names. */
#define TR_TOPIC_MAX 249

typedef struct tr_seg {
	int trs_group; /* -1: the literal text */
	size_t trs_off, trs_len;
} tr_seg_t;

typedef struct topic_router {
	const km_host_api_t *tr_host;
	tx_regex_t tr_re;
	char *tr_lits; /* the replacement's literal text, escapes removed */
	tr_seg_t *tr_segs;
	size_t tr_seg_cnt;
	km_counter_t *tr_routed, *tr_invalid;
} topic_router_t;

static const km_param_t topic_router_params[] = {
    {.name = "regex",
     .type = KM_PARAM_STRING,
     .flags = KM_PARAM_F_REQUIRED,
     .doc = "PCRE2 regular expression matched against the whole target topic name; records "
            "whose topic does not match keep it."},
    {.name = "replacement",
     .type = KM_PARAM_STRING,
     .flags = KM_PARAM_F_REQUIRED,
     .doc = "The new topic name: $1..$9 are the regex's groups, $0 the whole name; \\$ and \\\\ "
            "are a literal $ and \\."},
    {.name = NULL},
};

static void topic_router_destroy(void *inst) {
	topic_router_t *tr = inst;

	tx_regex_free(&tr->tr_re);
	free(tr->tr_lits);
	free(tr->tr_segs);
	free(tr);
}

static void tr_add_literal(topic_router_t *tr, size_t start, size_t end) {
	if (end > start)
		tr->tr_segs[tr->tr_seg_cnt++] =
		    (tr_seg_t){.trs_group = -1, .trs_off = start, .trs_len = end - start};
}

/* Splits the replacement @p v into literal text and group references, as
 * Java's Matcher.replaceFirst() reads it (one digit per reference). */
static km_err_t tr_parse(topic_router_t *tr, km_ctx_t *ctx, const char *v, char *errstr,
                         size_t errstr_size) {
	size_t vlen = strlen(v), lit = 0, start = 0;

	if (!(tr->tr_lits = malloc(vlen + 1)) ||
	    !(tr->tr_segs = calloc(vlen + 1, sizeof(tr_seg_t)))) {
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	for (size_t i = 0; i < vlen;) {
		int g;

		if (v[i] == '\\') {
			if (v[i + 1] != '$' && v[i + 1] != '\\')
				return tx_refuse(
				    tr->tr_host, ctx, "replacement", 0, errstr, errstr_size,
				    "the '\\' at offset %zu escapes nothing; write \\$ for a "
				    "literal $ and \\\\ for a literal \\",
				    i);
			tr->tr_lits[lit++] = v[i + 1];
			i += 2;
			continue;
		}
		if (v[i] != '$') {
			tr->tr_lits[lit++] = v[i++];
			continue;
		}
		if (v[i + 1] < '0' || v[i + 1] > '9')
			return tx_refuse(tr->tr_host, ctx, "replacement", 0, errstr, errstr_size,
			                 "the '$' at offset %zu is not followed by a group number; "
			                 "write $0..$9 for a group of the regex and \\$ for a "
			                 "literal $",
			                 i);
		g = v[i + 1] - '0';
		if ((uint32_t)g > tr->tr_re.txr_groups)
			return tx_refuse(
			    tr->tr_host, ctx, "replacement", 0, errstr, errstr_size,
			    "$%d refers to group %d, but the regex has %u group%s; use "
			    "$0..$%u",
			    g, g, tr->tr_re.txr_groups, tr->tr_re.txr_groups == 1 ? "" : "s",
			    tr->tr_re.txr_groups);
		tr_add_literal(tr, start, lit);
		start = lit;
		tr->tr_segs[tr->tr_seg_cnt++] = (tr_seg_t){.trs_group = g};
		i += 2;
	}
	tr_add_literal(tr, start, lit);
	tr->tr_lits[lit] = '\0';
	return KM_OK;
}

static km_err_t topic_router_create(const km_host_api_t *host, km_ctx_t *ctx,
                                    const km_params_t *params, void **instp, char *errstr,
                                    size_t errstr_size) {
	topic_router_t *tr = calloc(1, sizeof(*tr));
	km_err_t err;

	if (!tr) {
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	tr->tr_host = host;
	if ((err = tx_regex_compile(
	         &tr->tr_re, host, ctx, "regex", host->param_str(params, "regex"), TX_REGEX_TEXT,
	         "matched against whole target topic names", errstr, errstr_size)) != KM_OK ||
	    (err = tr_parse(tr, ctx, host->param_str(params, "replacement"), errstr,
	                    errstr_size)) != KM_OK)
		goto out;
	tr->tr_routed = host->counter(ctx, "routed", "records sent to a topic made by replacement");
	tr->tr_invalid =
	    host->counter(ctx, "invalid_topic", "records failed: the topic made was not valid");
	*instp = tr;
	tr = NULL;
out:
	if (tr)
		topic_router_destroy(tr);
	return err;
}

/* 1 when @p t is a name Kafka accepts: 1 to 249 of [a-zA-Z0-9._-], not
 * "." or "..". */
static int tr_valid_topic(const char *t, size_t len) {
	if (len == 0 || len > TR_TOPIC_MAX || (len <= 2 && strspn(t, ".") == len))
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = t[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* What @p topic becomes (the match's groups are in tr_re's match data). */
typedef enum tr_result { TR_KEEP, TR_ROUTE, TR_INVALID, TR_NOMEM } tr_result_t;

static tr_result_t tr_route(topic_router_t *tr, km_batch_t *b, const char *topic,
                            const char **outp) {
	size_t tlen = strlen(topic), len = 0, max = 0;
	PCRE2_SIZE *ov;
	char *out;
	int rc = tx_regex_match(&tr->tr_re, topic, tlen);

	if (rc <= 0)
		return TR_KEEP; /* a matching error keeps the topic too */
	ov = pcre2_get_ovector_pointer(tr->tr_re.txr_md);
	for (size_t s = 0; s < tr->tr_seg_cnt; s++)
		max += tr->tr_segs[s].trs_group < 0 ? tr->tr_segs[s].trs_len : tlen;
	if (!(out = tr->tr_host->arena_alloc(b, max + 1)))
		return TR_NOMEM;
	for (size_t s = 0; s < tr->tr_seg_cnt; s++) {
		const tr_seg_t *g = &tr->tr_segs[s];

		if (g->trs_group < 0) {
			memcpy(out + len, tr->tr_lits + g->trs_off, g->trs_len);
			len += g->trs_len;
		} else if (ov[2 * g->trs_group] != PCRE2_UNSET) { /* unset group: "" */
			size_t from = ov[2 * g->trs_group], to = ov[2 * g->trs_group + 1];

			memcpy(out + len, topic + from, to - from);
			len += to - from;
		}
	}
	out[len] = '\0';
	*outp = out;
	return tr_valid_topic(out, len) ? TR_ROUTE : TR_INVALID;
}

/* Why a record of @p topic fails, in the arena; NULL when it is full. */
static const char *tr_invalid_error(topic_router_t *tr, km_batch_t *b, const char *topic,
                                    const char *made) {
	static const char fmt[] = "topic_router made '%s' of '%s', not a topic name Kafka accepts "
	                          "(1 to 249 of a-z A-Z 0-9 . _ -); check regex and replacement";
	size_t size = sizeof(fmt) + strlen(topic) + strlen(made);
	char *e = tr->tr_host->arena_alloc(b, size);

	if (e)
		snprintf(e, size, fmt, made, topic);
	return e;
}

static km_stage_action_t topic_router_process(void *inst, km_batch_t *b, char *errstr,
                                              size_t errstr_size) {
	topic_router_t *tr = inst;
	const char *last_in = NULL, *last_out = NULL, *last_err = NULL;
	tr_result_t last = TR_KEEP;
	uint64_t routed = 0, invalid = 0;

	for (size_t i = 0; i < b->cnt; i++) {
		km_record_t *r = km_batch_record(b, i);

		if ((r->flags & (KM_RECORD_F_DROP | KM_RECORD_F_ERROR)) || !r->topic)
			continue;
		/* records of a batch mostly share a topic: route it once */
		if (!last_in || (r->topic != last_in && strcmp(r->topic, last_in) != 0)) {
			last_in = r->topic;
			if ((last = tr_route(tr, b, r->topic, &last_out)) == TR_INVALID)
				last_err = tr_invalid_error(tr, b, r->topic, last_out);
			if (last == TR_NOMEM || (last == TR_INVALID && !last_err))
				return tx_arena_full("topic_router", errstr, errstr_size);
		}
		if (last == TR_ROUTE) {
			r->topic = last_out;
			routed++;
		} else if (last == TR_INVALID) {
			r->flags |= KM_RECORD_F_ERROR;
			r->error = last_err;
			invalid++;
		}
	}
	if (routed)
		tr->tr_host->counter_add(tr->tr_routed, routed);
	if (invalid)
		tr->tr_host->counter_add(tr->tr_invalid, invalid);
	return KM_STAGE_OK;
}

static const km_stage_ops_t topic_router_ops = {
    KM_OPS(km_stage_ops_t),
    .process = topic_router_process,
};

KM_PLUGIN_DEFINE(.name = "topic_router", .version = "1.0.0", .kind = KM_PLUGIN_STAGE,
                 .params = topic_router_params,
                 .description = "Rewrites the target topic by a regular expression with "
                                "groups, as Kafka Connect's RegexRouter.",
                 .create = topic_router_create, .destroy = topic_router_destroy,
                 .stage = &topic_router_ops);
