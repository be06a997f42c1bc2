/* The header_insert record stage: adds a header to every record, with a
 * static value or a template of where the record came from, e.g.
 * "%{source.topic}/%{source.partition}" (not ${...}: the configuration
 * reads that as a reference to the environment or a file before the plugin
 * sees it). The template is parsed once, in
 * create(); a record costs one arena allocation for its headers and, when
 * the value has fields, one for the value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmirror/plugin.h>

#include "transform_common.h"

/* What a piece of the template stands for. */
typedef enum hi_kind {
	HI_LITERAL,
	HI_CLUSTER,   /* %{source.cluster} */
	HI_TOPIC,     /* %{source.topic} */
	HI_PARTITION, /* %{source.partition} */
	HI_OFFSET,    /* %{source.offset} */
	HI_TIMESTAMP, /* %{timestamp} */
} hi_kind_t;

static const struct {
	const char *name;
	hi_kind_t kind;
} hi_fields[] = {
    {"source.cluster", HI_CLUSTER}, {"source.topic", HI_TOPIC},  {"source.partition", HI_PARTITION},
    {"source.offset", HI_OFFSET},   {"timestamp", HI_TIMESTAMP},
};

/* In the messages, which are printf formats. */
#define HI_FIELD_LIST                                                                              \
	"%%{source.cluster}, %%{source.topic}, %%{source.partition}, %%{source.offset} and "       \
	"%%{timestamp}"

/* Decimal digits of an int64_t, sign included. */
#define HI_INT_MAX 20

typedef struct hi_seg {
	hi_kind_t his_kind;
	size_t his_off, his_len; /* HI_LITERAL: bytes of hi_lits */
} hi_seg_t;

typedef struct header_insert {
	const km_host_api_t *hi_host;
	const char *hi_name;
	int hi_replace;
	char *hi_lits; /* the template's literal text, "%%{" made "%{" */
	hi_seg_t *hi_segs;
	size_t hi_seg_cnt;
	size_t hi_fixed_len; /* literal bytes, plus the cluster's */
	int hi_fields;       /* 0: the value is hi_lits, the same for every record */
	const char *hi_cluster;
	size_t hi_cluster_len;
} header_insert_t;

static const km_param_t header_insert_params[] = {
    {.name = "name",
     .type = KM_PARAM_STRING,
     .flags = KM_PARAM_F_REQUIRED,
     .doc = "Name of the header added to every record; not empty."},
    {.name = "value",
     .type = KM_PARAM_STRING,
     .flags = KM_PARAM_F_REQUIRED,
     .doc = "Its value: text, with the fields %{source.cluster}, %{source.topic}, "
            "%{source.partition}, %{source.offset} and %{timestamp} replaced by the record's; "
            "%%{ is a literal %{."},
    {.name = "replace",
     .type = KM_PARAM_BOOL,
     .def = "false",
     .doc = "true: remove the record's headers of that name first, so that it has exactly "
            "one; false: add it after the record's own headers."},
    {.name = NULL},
};

static void header_insert_destroy(void *inst) {
	header_insert_t *hi = inst;

	free(hi->hi_lits);
	free(hi->hi_segs);
	free(hi);
}

static void hi_add_literal(header_insert_t *hi, size_t start, size_t end) {
	if (end > start)
		hi->hi_segs[hi->hi_seg_cnt++] =
		    (hi_seg_t){.his_kind = HI_LITERAL, .his_off = start, .his_len = end - start};
}

/* Splits the template @p v into literal text and fields. */
static km_err_t hi_parse(header_insert_t *hi, km_ctx_t *ctx, const char *v, char *errstr,
                         size_t errstr_size) {
	size_t vlen = strlen(v), lit = 0, start = 0;

	if (!(hi->hi_lits = malloc(vlen + 1)) ||
	    !(hi->hi_segs = calloc(vlen + 1, sizeof(hi_seg_t)))) {
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	for (size_t i = 0; i < vlen;) {
		const char *name, *end;
		size_t f, nlen;

		if (v[i] == '%' && v[i + 1] == '%' && v[i + 2] == '{') {
			hi->hi_lits[lit++] = '%';
			hi->hi_lits[lit++] = '{';
			i += 3;
			continue;
		}
		if (v[i] != '%' || v[i + 1] != '{') {
			hi->hi_lits[lit++] = v[i++];
			continue;
		}
		name = v + i + 2;
		if (!(end = strchr(name, '}')))
			return tx_refuse(
			    hi->hi_host, ctx, "value", 0, errstr, errstr_size,
			    "the field at offset %zu has no closing '}'; write a field "
			    "as %%{NAME}: " HI_FIELD_LIST ", and a literal '%%{' as %%%%{",
			    i);
		nlen = (size_t)(end - name);
		for (f = 0; f < sizeof(hi_fields) / sizeof(hi_fields[0]); f++)
			if (strlen(hi_fields[f].name) == nlen &&
			    !memcmp(hi_fields[f].name, name, nlen))
				break;
		if (f == sizeof(hi_fields) / sizeof(hi_fields[0]))
			return tx_refuse(hi->hi_host, ctx, "value", 0, errstr, errstr_size,
			                 "unknown field %%{%.*s}; the fields are " HI_FIELD_LIST
			                 " (a literal '%%{' is %%%%{)",
			                 (int)nlen, name);
		hi_add_literal(hi, start, lit);
		start = lit;
		hi->hi_segs[hi->hi_seg_cnt++] = (hi_seg_t){.his_kind = hi_fields[f].kind};
		hi->hi_fields = 1;
		i += 2 + nlen + 1;
	}
	hi_add_literal(hi, start, lit);
	hi->hi_lits[lit] = '\0';
	hi->hi_fixed_len = lit;
	for (size_t s = 0; s < hi->hi_seg_cnt; s++)
		if (hi->hi_segs[s].his_kind == HI_CLUSTER)
			hi->hi_fixed_len += hi->hi_cluster_len;
	return KM_OK;
}

static km_err_t header_insert_create(const km_host_api_t *host, km_ctx_t *ctx,
                                     const km_params_t *params, void **instp, char *errstr,
                                     size_t errstr_size) {
	header_insert_t *hi = calloc(1, sizeof(*hi));
	km_err_t err;

	if (!hi) {
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	hi->hi_host = host;
	hi->hi_name = host->param_str(params, "name");
	hi->hi_replace = host->param_bool(params, "replace");
	hi->hi_cluster = host->flow_source(ctx) ? host->flow_source(ctx) : "";
	hi->hi_cluster_len = strlen(hi->hi_cluster);
	if (!*hi->hi_name) {
		err = tx_refuse(host, ctx, "name", 0, errstr, errstr_size,
		                "a header name cannot be empty; give one, e.g. name: origin");
		goto out;
	}
	if ((err = hi_parse(hi, ctx, host->param_str(params, "value"), errstr, errstr_size)) !=
	    KM_OK)
		goto out;
	*instp = hi;
	hi = NULL;
out:
	if (hi)
		header_insert_destroy(hi);
	return err;
}

/* Writes @p v in decimal at @p out; returns the length. */
static size_t hi_put_int(char *out, int64_t v) {
	char tmp[HI_INT_MAX];
	size_t n = 0, len = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[len++] = '-';
	while (n)
		out[len++] = tmp[--n];
	return len;
}

/* The template filled in for @p r, in the arena; NULL when it is full. */
static char *hi_expand(header_insert_t *hi, km_batch_t *b, const km_record_t *r, size_t *lenp) {
	const char *topic = r->source_topic ? r->source_topic : "";
	size_t tlen = strlen(topic), max = hi->hi_fixed_len, len = 0;
	char *out;

	for (size_t s = 0; s < hi->hi_seg_cnt; s++)
		if (hi->hi_segs[s].his_kind == HI_TOPIC)
			max += tlen;
		else if (hi->hi_segs[s].his_kind != HI_LITERAL &&
		         hi->hi_segs[s].his_kind != HI_CLUSTER)
			max += HI_INT_MAX;
	if (!(out = hi->hi_host->arena_alloc(b, max ? max : 1)))
		return NULL;
	for (size_t s = 0; s < hi->hi_seg_cnt; s++) {
		const hi_seg_t *g = &hi->hi_segs[s];

		switch (g->his_kind) {
		case HI_LITERAL:
			memcpy(out + len, hi->hi_lits + g->his_off, g->his_len);
			len += g->his_len;
			break;
		case HI_CLUSTER:
			memcpy(out + len, hi->hi_cluster, hi->hi_cluster_len);
			len += hi->hi_cluster_len;
			break;
		case HI_TOPIC:
			memcpy(out + len, topic, tlen);
			len += tlen;
			break;
		case HI_PARTITION:
			len += hi_put_int(out + len, r->source_partition);
			break;
		case HI_OFFSET:
			len += hi_put_int(out + len, r->source_offset);
			break;
		case HI_TIMESTAMP:
			len += hi_put_int(out + len, r->timestamp);
			break;
		}
	}
	*lenp = len;
	return out;
}

static km_stage_action_t header_insert_process(void *inst, km_batch_t *b, char *errstr,
                                               size_t errstr_size) {
	header_insert_t *hi = inst;

	for (size_t i = 0; i < b->cnt; i++) {
		km_record_t *r = km_batch_record(b, i);
		size_t keep = 0;
		km_header_t *h;
		const char *value = hi->hi_lits;
		size_t value_len = hi->hi_fixed_len;

		if (r->flags & (KM_RECORD_F_DROP | KM_RECORD_F_ERROR))
			continue;
		for (size_t j = 0; j < r->header_cnt; j++)
			keep += !hi->hi_replace || strcmp(r->headers[j].name, hi->hi_name) != 0;
		if (!(h = hi->hi_host->arena_alloc(b, (keep + 1) * sizeof(*h))))
			return tx_arena_full("header_insert", errstr, errstr_size);
		if (hi->hi_fields && !(value = hi_expand(hi, b, r, &value_len)))
			return tx_arena_full("header_insert", errstr, errstr_size);
		keep = 0;
		for (size_t j = 0; j < r->header_cnt; j++)
			if (!hi->hi_replace || strcmp(r->headers[j].name, hi->hi_name) != 0)
				h[keep++] = r->headers[j];
		h[keep] =
		    (km_header_t){.name = hi->hi_name, .value = value, .value_len = value_len};
		r->headers = h;
		r->header_cnt = keep + 1;
	}
	return KM_STAGE_OK;
}

static const km_stage_ops_t header_insert_ops = {
    KM_OPS(km_stage_ops_t),
    .process = header_insert_process,
};

KM_PLUGIN_DEFINE(.name = "header_insert", .version = "1.0.0", .kind = KM_PLUGIN_STAGE,
                 .params = header_insert_params,
                 .description = "Adds a header to every record, with a static value or one "
                                "made from where the record came from.",
                 .create = header_insert_create, .destroy = header_insert_destroy,
                 .stage = &header_insert_ops);
