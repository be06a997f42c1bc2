/* Binding a schema (km_param_t) to a YAML mapping. See params.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "params.h"

/* ------------------------------------------------------------------------ */
/* Parameters                                                                */
/* ------------------------------------------------------------------------ */

typedef struct km_pval {
	const km_param_t *param;
	const km_node_t *node; /* NULL: the default applies */
	char *str;             /* STRING, ENUM */
	int64_t num;           /* INT, BOOL, DURATION, SIZE */
	char **items;          /* LIST */
	size_t item_cnt;
	km_value_t *tree; /* TREE: one allocation, see km_tree_make() */
	struct stat st;   /* PATH: the file when bound (st_ino 0: none) */
} km_pval_t;

struct km_params {
	const km_param_t *schema;
	km_pval_t *vals;
	size_t cnt;
};

static const char *km_type_word(km_param_type_t t) {
	switch (t) {
	case KM_PARAM_STRING:
		return "string";
	case KM_PARAM_INT:
		return "integer";
	case KM_PARAM_BOOL:
		return "boolean";
	case KM_PARAM_ENUM:
		return "enum";
	case KM_PARAM_LIST:
		return "list";
	case KM_PARAM_DURATION:
		return "duration";
	case KM_PARAM_SIZE:
		return "size";
	case KM_PARAM_PATH:
		return "path";
	case KM_PARAM_TREE:
		return "any";
	}
	return "?";
}

static void km_fmt_duration(char *buf, size_t size, int64_t ms) {
	if (ms && ms % 3600000 == 0)
		snprintf(buf, size, "%" PRId64 "h", ms / 3600000);
	else if (ms && ms % 60000 == 0)
		snprintf(buf, size, "%" PRId64 "m", ms / 60000);
	else if (ms && ms % 1000 == 0)
		snprintf(buf, size, "%" PRId64 "s", ms / 1000);
	else
		snprintf(buf, size, "%" PRId64 "ms", ms);
}

static void km_fmt_size(char *buf, size_t size, int64_t b) {
	if (b && b % (1024 * 1024 * 1024) == 0)
		snprintf(buf, size, "%" PRId64 "GB", b / (1024 * 1024 * 1024));
	else if (b && b % (1024 * 1024) == 0)
		snprintf(buf, size, "%" PRId64 "MB", b / (1024 * 1024));
	else if (b && b % 1024 == 0)
		snprintf(buf, size, "%" PRId64 "KB", b / 1024);
	else
		snprintf(buf, size, "%" PRId64 "B", b);
}

static void km_fmt_num(const km_param_t *pd, char *buf, size_t size, int64_t v) {
	if (pd->type == KM_PARAM_DURATION)
		km_fmt_duration(buf, size, v);
	else if (pd->type == KM_PARAM_SIZE)
		km_fmt_size(buf, size, v);
	else
		snprintf(buf, size, "%" PRId64, v);
}

/* "must be between MIN and MAX" / "must be at least MIN"; "" without range. */
static void km_fmt_range(const km_param_t *pd, char *buf, size_t size) {
	char lo[32], hi[32];

	buf[0] = '\0';
	if (pd->min == 0 && pd->max == 0)
		return;
	km_fmt_num(pd, lo, sizeof(lo), pd->min);
	km_fmt_num(pd, hi, sizeof(hi), pd->max);
	if (pd->max == INT64_MAX)
		snprintf(buf, size, "must be at least %s", lo);
	else if (pd->min == INT64_MIN)
		snprintf(buf, size, "must be at most %s", hi);
	else
		snprintf(buf, size, "must be between %s and %s", lo, hi);
}

/* The enum's choices, "a|b" written "a, b". */
static void km_fmt_choices(const km_param_t *pd, char *errstr, size_t errstr_size) {
	const char *c = pd->choices;
	while (*c) {
		size_t n = strcspn(c, "|");
		km_errcat(errstr, errstr_size, "%.*s", (int)n, c);
		c += n;
		if (*c == '|') {
			c++;
			km_errcat(errstr, errstr_size, ", ");
		}
	}
}

/* What a value of @p pd must look like, appended to errstr. */
static void km_expect(const km_param_t *pd, char *errstr, size_t errstr_size) {
	char range[128];

	km_fmt_range(pd, range, sizeof(range));
	switch (pd->type) {
	case KM_PARAM_STRING:
		km_errcat(errstr, errstr_size, "give a text value");
		break;
	case KM_PARAM_PATH:
		km_errcat(errstr, errstr_size,
		          "give a file's path (a relative one is taken from the configuration "
		          "file's directory)");
		break;
	case KM_PARAM_TREE:
		km_errcat(errstr, errstr_size, "give a value, a mapping or a list");
		break;
	case KM_PARAM_INT:
		km_errcat(errstr, errstr_size, "give a whole number%s%s", *range ? " that " : "",
		          range);
		break;
	case KM_PARAM_BOOL:
		km_errcat(errstr, errstr_size, "give true or false");
		break;
	case KM_PARAM_ENUM:
		km_errcat(errstr, errstr_size, "use one of ");
		km_fmt_choices(pd, errstr, errstr_size);
		break;
	case KM_PARAM_LIST:
		km_errcat(errstr, errstr_size, "give a list ([a, b]) or a comma-separated text");
		break;
	case KM_PARAM_DURATION:
		km_errcat(errstr, errstr_size,
		          "give a whole number with a unit: ms, s, m or h (e.g. 250ms, 5s)%s%s",
		          *range ? "; it " : "", range);
		break;
	case KM_PARAM_SIZE:
		km_errcat(errstr, errstr_size,
		          "give a number of bytes, optionally with a unit: B, KB, MB, GB (e.g. "
		          "64MB)%s%s",
		          *range ? "; it " : "", range);
		break;
	}
}

static km_err_t km_parse_int64(const char *s, int64_t *out) {
	char *end;
	if (!*s || isspace((unsigned char)*s))
		return KM_ERR_INVALID;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return KM_ERR_INVALID;
	*out = v;
	return KM_OK;
}

/* Digits then a unit; returns the unit (NULL when there are no digits or
 * the number overflows). */
static const char *km_parse_uint_unit(const char *s, int64_t *out) {
	int64_t v = 0;
	const char *p = s;
	if (!isdigit((unsigned char)*p))
		return NULL;
	for (; isdigit((unsigned char)*p); p++) {
		int d = *p - '0';
		if (v > (INT64_MAX - d) / 10)
			return NULL;
		v = v * 10 + d;
	}
	*out = v;
	return p;
}

static km_err_t km_mul(int64_t v, int64_t m, int64_t *out) {
	if (v > INT64_MAX / m)
		return KM_ERR_INVALID;
	*out = v * m;
	return KM_OK;
}

/* Parses scalar @p text for @p pd into @p v. On error (KM_ERR_INVALID,
 * KM_ERR_NOMEM) fills errstr with "key 'x': ..." (the caller adds the
 * position). */
static km_err_t km_param_parse(const km_param_t *pd, const char *text, int secret, km_pval_t *v,
                               char *errstr, size_t errstr_size) {
	char range[128];
	int64_t num = 0;

	secret = secret || (pd->flags & KM_PARAM_F_SENSITIVE);
	km_fmt_range(pd, range, sizeof(range));
	switch (pd->type) {
	case KM_PARAM_STRING:
	case KM_PARAM_PATH: /* made absolute by km_param_bind_node() */
	case KM_PARAM_TREE: /* never parsed from text: no default */
		v->str = strdup(text);
		if (!v->str)
			goto nomem;
		return KM_OK;
	case KM_PARAM_ENUM: {
		const char *c = pd->choices;
		size_t tlen = strlen(text);
		while (*c) {
			size_t n = strcspn(c, "|");
			if (n == tlen && !strncmp(c, text, n)) {
				v->str = strdup(text);
				if (!v->str)
					goto nomem;
				return KM_OK;
			}
			c += n;
			if (*c == '|')
				c++;
		}
		km_errcat(errstr, errstr_size, "key '%s': " KM_SHOW_FMT " is not allowed; ",
		          pd->name, KM_SHOW_IF(text, secret));
		km_expect(pd, errstr, errstr_size);
		return KM_ERR_INVALID;
	}
	case KM_PARAM_BOOL:
		if (!strcasecmp(text, "true") || !strcasecmp(text, "yes") ||
		    !strcasecmp(text, "on")) {
			v->num = 1;
			return KM_OK;
		}
		if (!strcasecmp(text, "false") || !strcasecmp(text, "no") ||
		    !strcasecmp(text, "off")) {
			v->num = 0;
			return KM_OK;
		}
		km_errcat(errstr, errstr_size,
		          "key '%s': " KM_SHOW_FMT " is not a boolean; use true or false (yes/no "
		          "and on/off also work)",
		          pd->name, KM_SHOW_IF(text, secret));
		return KM_ERR_INVALID;
	case KM_PARAM_INT:
		if (km_parse_int64(text, &num) != KM_OK) {
			km_errcat(errstr, errstr_size,
			          "key '%s': " KM_SHOW_FMT " is not a whole number", pd->name,
			          KM_SHOW_IF(text, secret));
			if (*range)
				km_errcat(errstr, errstr_size, "; it %s", range);
			return KM_ERR_INVALID;
		}
		break;
	case KM_PARAM_DURATION: {
		const char *unit = km_parse_uint_unit(text, &num);
		int64_t mul = 0;
		if (unit && !*unit) {
			km_errcat(errstr, errstr_size,
			          "key '%s': " KM_SHOW_FMT
			          " has no unit; add a unit: ms, s, m or h "
			          "(e.g. 250ms, 5s, 10m, 1h)",
			          pd->name, KM_SHOW_IF(text, secret));
			return KM_ERR_INVALID;
		}
		if (unit) {
			if (!strcmp(unit, "ms"))
				mul = 1;
			else if (!strcmp(unit, "s"))
				mul = 1000;
			else if (!strcmp(unit, "m"))
				mul = 60000;
			else if (!strcmp(unit, "h"))
				mul = 3600000;
		}
		if (!mul || km_mul(num, mul, &num) != KM_OK) {
			km_errcat(errstr, errstr_size,
			          "key '%s': " KM_SHOW_FMT " is not a duration; ", pd->name,
			          KM_SHOW_IF(text, secret));
			km_expect(pd, errstr, errstr_size);
			return KM_ERR_INVALID;
		}
		break;
	}
	case KM_PARAM_SIZE: {
		const char *unit = km_parse_uint_unit(text, &num);
		int64_t mul = 0;
		if (unit) {
			while (*unit == ' ')
				unit++;
			if (!*unit || !strcasecmp(unit, "B"))
				mul = 1;
			else if (!strcasecmp(unit, "KB") || !strcasecmp(unit, "KiB"))
				mul = 1024;
			else if (!strcasecmp(unit, "MB") || !strcasecmp(unit, "MiB"))
				mul = 1024 * 1024;
			else if (!strcasecmp(unit, "GB") || !strcasecmp(unit, "GiB"))
				mul = 1024 * 1024 * 1024;
		}
		if (!mul || km_mul(num, mul, &num) != KM_OK) {
			km_errcat(errstr, errstr_size, "key '%s': " KM_SHOW_FMT " is not a size; ",
			          pd->name, KM_SHOW_IF(text, secret));
			km_expect(pd, errstr, errstr_size);
			return KM_ERR_INVALID;
		}
		break;
	}
	case KM_PARAM_LIST: {
		/* a comma-separated scalar: items trimmed, empty ones dropped */
		const char *p = text;
		for (;;) {
			size_t n = strcspn(p, ",");
			const char *s = p, *e = p + n;
			while (s < e && isspace((unsigned char)*s))
				s++;
			while (e > s && isspace((unsigned char)e[-1]))
				e--;
			if (e > s) {
				char **items =
				    realloc(v->items, (v->item_cnt + 1) * sizeof(*items));
				if (!items)
					goto nomem;
				v->items = items;
				v->items[v->item_cnt] = strndup(s, (size_t)(e - s));
				if (!v->items[v->item_cnt])
					goto nomem;
				v->item_cnt++;
			}
			if (!p[n])
				break;
			p += n + 1;
		}
		return KM_OK;
	}
	}
	/* INT, DURATION, SIZE: the range */
	if ((pd->min || pd->max) && (num < pd->min || num > pd->max)) {
		km_errcat(errstr, errstr_size, "key '%s': " KM_SHOW_FMT " is out of range; it %s",
		          pd->name, KM_SHOW_IF(text, secret), range);
		return KM_ERR_INVALID;
	}
	v->num = num;
	return KM_OK;
nomem:
	km_errcat(errstr, errstr_size, "key '%s': out of memory", pd->name);
	return KM_ERR_NOMEM;
}

static void km_pval_clear(km_pval_t *v) {
	free(v->str);
	v->str = NULL;
	free(v->tree);
	v->tree = NULL;
	memset(&v->st, 0, sizeof(v->st));
	for (size_t i = 0; i < v->item_cnt; i++)
		free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->item_cnt = 0;
	v->num = 0;
}

/* A TREE value: the values, then the keys' pointer arrays, in one block.
 * Texts and keys point into the YAML tree, which outlives the parameters. */
static void km_tree_count(const km_node_t *n, size_t *vals, size_t *keys) {
	(*vals)++;
	if (n->type == KM_NODE_MAP)
		*keys += n->cnt;
	if (n->type != KM_NODE_SCALAR)
		for (size_t i = 0; i < n->cnt; i++)
			km_tree_count(n->vals[i], vals, keys);
}

static void km_tree_fill(const km_node_t *n, km_value_t *v, km_value_t **next_val,
                         const char ***next_key) {
	memset(v, 0, sizeof(*v));
	if (n->type == KM_NODE_SCALAR) {
		v->kind = n->null ? KM_VALUE_NULL : KM_VALUE_SCALAR;
		v->text = n->null ? NULL : n->scalar;
		v->quoted = n->quoted;
		v->secret = n->secret;
		return;
	}
	km_value_t *items = *next_val;
	*next_val += n->cnt;
	v->kind = n->type == KM_NODE_MAP ? KM_VALUE_MAP : KM_VALUE_LIST;
	v->cnt = n->cnt;
	v->items = items;
	if (n->type == KM_NODE_MAP) {
		const char **keys = *next_key;
		*next_key += n->cnt;
		for (size_t i = 0; i < n->cnt; i++)
			keys[i] = n->keys[i]->scalar;
		v->keys = keys;
	}
	for (size_t i = 0; i < n->cnt; i++)
		km_tree_fill(n->vals[i], &items[i], next_val, next_key);
}

static km_value_t *km_tree_make(const km_node_t *n) {
	size_t vals = 0, keys = 0;
	km_value_t *t, *next_val;
	const char **next_key;

	km_tree_count(n, &vals, &keys);
	if (!(t = malloc(vals * sizeof(*t) + keys * sizeof(char *))))
		return NULL;
	next_val = t + 1;
	next_key = (const char **)(void *)(t + vals);
	km_tree_fill(n, t, &next_val, &next_key);
	return t;
}

/* A PATH: relative to the directory of the file @p n is in. */
static km_err_t km_path_bind(const km_param_t *pd, const km_node_t *n, km_pval_t *v, char *errstr,
                             size_t errstr_size) {
	const char *slash = n->file ? strrchr(n->file, '/') : NULL;
	size_t dlen = slash ? (size_t)(slash - n->file) : 0;

	if (!*n->scalar) {
		km_errcat(errstr, errstr_size, "key '%s' is empty; ", pd->name);
		km_expect(pd, errstr, errstr_size);
		return KM_ERR_INVALID;
	}
	if (n->scalar[0] == '/' || !slash)
		v->str = strdup(n->scalar);
	else if ((v->str = malloc(dlen + 1 + strlen(n->scalar) + 1)))
		sprintf(v->str, "%.*s/%s", (int)dlen, n->file, n->scalar);
	if (!v->str) {
		km_errcat(errstr, errstr_size, "key '%s': out of memory", pd->name);
		return KM_ERR_NOMEM;
	}
	if (stat(v->str, &v->st) != 0)
		memset(&v->st, 0, sizeof(v->st));
	return KM_OK;
}

/* Binds the value node @p n (of key node @p k) to @p v. */
static km_err_t km_param_bind_node(const km_param_t *pd, const km_node_t *k, const km_node_t *n,
                                   km_pval_t *v, char *errstr, size_t errstr_size) {
	if (pd->type == KM_PARAM_TREE) {
		if (!(v->tree = km_tree_make(n))) {
			km_node_err(errstr, errstr_size, n, "out of memory");
			return KM_ERR_NOMEM;
		}
		return KM_OK;
	}
	if (n->type == KM_NODE_SCALAR && n->null) {
		km_node_err(errstr, errstr_size, k, "key '%s' has no value; ", pd->name);
		km_expect(pd, errstr, errstr_size);
		return KM_ERR_INVALID;
	}
	if (n->type == KM_NODE_SEQ && pd->type == KM_PARAM_LIST) {
		v->items = calloc(n->cnt ? n->cnt : 1, sizeof(*v->items));
		if (!v->items) {
			km_node_err(errstr, errstr_size, n, "out of memory");
			return KM_ERR_NOMEM;
		}
		for (size_t i = 0; i < n->cnt; i++) {
			const km_node_t *it = n->vals[i];
			if (it->type != KM_NODE_SCALAR || it->null) {
				km_node_err(errstr, errstr_size, it,
				            "key '%s': item %zu is %s; the items must be text",
				            pd->name, i + 1, km_node_type_name(it));
				return KM_ERR_INVALID;
			}
			v->items[i] = strdup(it->scalar);
			if (!v->items[i]) {
				km_node_err(errstr, errstr_size, it, "out of memory");
				return KM_ERR_NOMEM;
			}
			v->item_cnt++;
		}
		return KM_OK;
	}
	if (n->type != KM_NODE_SCALAR) {
		km_node_err(errstr, errstr_size, n, "key '%s' is %s; ", pd->name,
		            km_node_type_name(n));
		km_expect(pd, errstr, errstr_size);
		return KM_ERR_INVALID;
	}
	km_node_err(errstr, errstr_size, n, "%s", "");
	if (pd->type == KM_PARAM_PATH)
		return km_path_bind(pd, n, v, errstr, errstr_size);
	return km_param_parse(pd, n->scalar, n->secret, v, errstr, errstr_size);
}

static void km_param_default(const km_param_t *pd, km_pval_t *v) {
	char err[512] = "";

	if (!pd->def)
		return;
	if (km_param_parse(pd, pd->def, 0, v, err, sizeof(err)) != KM_OK) {
		fprintf(stderr, "kmirror: bug: the default '%s' of parameter '%s' is invalid: %s\n",
		        pd->def, pd->name, err);
		abort();
	}
}

static int km_in(const char *const *list, const char *s) {
	for (; list && *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

static const km_param_t *km_schema_find(const km_param_t *schema, const char *name, size_t *idx) {
	for (size_t i = 0; schema && schema[i].name; i++)
		if (!strcmp(schema[i].name, name)) {
			if (idx)
				*idx = i;
			return &schema[i];
		}
	return NULL;
}

km_params_t *km_params_bind_at(const km_param_t *schema, const km_node_t *map, const km_node_t *at,
                               const char *where, const char *const *ignore, char *errstr,
                               size_t errstr_size) {
	km_params_t *p = calloc(1, sizeof(*p));
	size_t cnt = 0;

	if (!p)
		goto nomem;
	while (schema && schema[cnt].name)
		cnt++;
	p->schema = schema;
	p->cnt = cnt;
	p->vals = calloc(cnt ? cnt : 1, sizeof(*p->vals));
	if (!p->vals)
		goto nomem;
	for (size_t i = 0; i < cnt; i++) {
		const km_param_t *pd = &schema[i];
		p->vals[i].param = pd;
		if (pd->type == KM_PARAM_TREE && pd->def) {
			fprintf(stderr, "kmirror: bug: parameter '%s' is a tree with a default\n",
			        pd->name);
			abort();
		}
		if (pd->type == KM_PARAM_ENUM && !pd->choices) {
			fprintf(stderr, "kmirror: bug: enum parameter '%s' has no choices\n",
			        pd->name);
			abort();
		}
		km_param_default(pd, &p->vals[i]);
	}
	if (map && map->type != KM_NODE_MAP) {
		km_node_err(errstr, errstr_size, map, "%s must be a mapping (key: value), not %s",
		            where, km_node_type_name(map));
		goto fail;
	}
	if (map)
		at = map;

	for (size_t k = 0; map && k < map->cnt; k++) {
		const km_node_t *key = map->keys[k];
		size_t idx = 0;
		if (km_in(ignore, key->scalar))
			continue;
		const km_param_t *pd = km_schema_find(schema, key->scalar, &idx);
		if (!pd) {
			const char *sep = "";
			km_node_err(errstr, errstr_size, key,
			            "key '%s' is not known in %s; allowed keys: ", key->scalar,
			            where);
			for (const char *const *ig = ignore; ig && *ig; ig++, sep = ", ")
				km_errcat(errstr, errstr_size, "%s%s", sep, *ig);
			for (size_t i = 0; i < cnt; i++, sep = ", ")
				km_errcat(errstr, errstr_size, "%s%s", sep, schema[i].name);
			if (!*sep)
				km_errcat(errstr, errstr_size, "none");
			goto fail;
		}
		km_pval_t *v = &p->vals[idx];
		km_pval_clear(v);
		if (km_param_bind_node(pd, key, map->vals[k], v, errstr, errstr_size) != KM_OK)
			goto fail;
		v->node = map->vals[k];
	}
	for (size_t i = 0; i < cnt; i++) {
		const km_param_t *pd = &schema[i];
		if ((pd->flags & KM_PARAM_F_REQUIRED) && !p->vals[i].node) {
			km_node_err(errstr, errstr_size, at, "%s: key '%s' is required", where,
			            pd->name);
			if (pd->doc)
				km_errcat(errstr, errstr_size, " (%s)", pd->doc);
			goto fail;
		}
	}
	return p;
nomem:
	snprintf(errstr, errstr_size, "%s: out of memory", where);
fail:
	km_params_destroy(p);
	return NULL;
}

km_params_t *km_params_bind(const km_param_t *schema, const km_node_t *map, const char *where,
                            const char *const *ignore, char *errstr, size_t errstr_size) {
	return km_params_bind_at(schema, map, map, where, ignore, errstr, errstr_size);
}

void km_params_destroy(km_params_t *p) {
	if (!p)
		return;
	for (size_t i = 0; p->vals && i < p->cnt; i++) {
		km_pval_t *v = &p->vals[i];
		if (v->str && (v->param->flags & KM_PARAM_F_SENSITIVE))
			explicit_bzero(v->str, strlen(v->str));
		km_pval_clear(v);
	}
	free(p->vals);
	free(p);
}

static const km_pval_t *km_params_get(const km_params_t *p, const char *name, int t1, int t2,
                                      int t3) {
	size_t idx;
	const km_param_t *pd = p ? km_schema_find(p->schema, name, &idx) : NULL;
	if (!pd) {
		fprintf(stderr, "kmirror: bug: parameter '%s' is not in the schema\n", name);
		abort();
	}
	if (t1 && (int)pd->type != t1 && (int)pd->type != t2 && (int)pd->type != t3) {
		fprintf(stderr, "kmirror: bug: parameter '%s' is a %s, read as another type\n",
		        name, km_type_word(pd->type));
		abort();
	}
	return &p->vals[idx];
}

const char *km_params_str(const km_params_t *p, const char *name) {
	return km_params_get(p, name, KM_PARAM_STRING, KM_PARAM_ENUM, KM_PARAM_PATH)->str;
}

const km_value_t *km_params_tree(const km_params_t *p, const char *name) {
	return km_params_get(p, name, KM_PARAM_TREE, KM_PARAM_TREE, KM_PARAM_TREE)->tree;
}

int km_params_files_same(const km_params_t *a, const km_params_t *b) {
	if (!a || !b)
		return a == b;
	if (a->schema != b->schema || a->cnt != b->cnt)
		return 0;
	for (size_t i = 0; i < a->cnt; i++) {
		const struct stat *x = &a->vals[i].st, *y = &b->vals[i].st;
		if (a->schema[i].type != KM_PARAM_PATH)
			continue;
		if (x->st_dev != y->st_dev || x->st_ino != y->st_ino || x->st_size != y->st_size ||
		    x->st_mtim.tv_sec != y->st_mtim.tv_sec ||
		    x->st_mtim.tv_nsec != y->st_mtim.tv_nsec)
			return 0;
	}
	return 1;
}

int km_param_type_known(km_param_type_t t) {
	return t >= KM_PARAM_STRING && t <= KM_PARAM_TREE;
}

int64_t km_params_int(const km_params_t *p, const char *name) {
	return km_params_get(p, name, KM_PARAM_INT, KM_PARAM_DURATION, KM_PARAM_SIZE)->num;
}

int km_params_bool(const km_params_t *p, const char *name) {
	return (int)km_params_get(p, name, KM_PARAM_BOOL, KM_PARAM_BOOL, KM_PARAM_BOOL)->num;
}

size_t km_params_list(const km_params_t *p, const char *name, const char *const **items) {
	const km_pval_t *v = km_params_get(p, name, KM_PARAM_LIST, KM_PARAM_LIST, KM_PARAM_LIST);
	if (items)
		*items = (const char *const *)v->items;
	return v->item_cnt;
}

int km_params_isset(const km_params_t *p, const char *name) {
	return km_params_get(p, name, 0, 0, 0)->node != NULL;
}

const km_node_t *km_params_node(const km_params_t *p, const char *name) {
	return km_params_get(p, name, 0, 0, 0)->node;
}

const char *km_params_name(const km_params_t *p, const char *name) {
	return km_params_get(p, name, 0, 0, 0)->param->name;
}

void km_params_err(const km_params_t *p, const char *name, const char *prefix, size_t item,
                   const km_node_t *at, const char *where, const char *msg, char *errstr,
                   size_t errstr_size) {
	const km_node_t *n = km_params_node(p, name);
	const char *dot = prefix ? "." : "";
	char it[32] = "";

	if (!prefix)
		prefix = "";
	if (item)
		snprintf(it, sizeof(it), "item %zu: ", item);
	if (n && n->type == KM_NODE_SEQ && item && item <= n->cnt)
		n = n->vals[item - 1];
	if (n)
		km_node_err(errstr, errstr_size, n, "key '%s%s%s': %s%s", prefix, dot, name, it,
		            msg);
	else
		km_node_err(errstr, errstr_size, at, "%s: key '%s%s%s': %s%s", where, prefix, dot,
		            name, it, msg);
}

void km_param_summary(const km_param_t *pd, char *buf, size_t size) {
	char range[128];

	buf[0] = '\0';
	km_fmt_range(pd, range, sizeof(range));
	if (pd->flags & KM_PARAM_F_REQUIRED)
		km_errcat(buf, size, "required");
	else if (pd->def && (pd->flags & KM_PARAM_F_SENSITIVE))
		km_errcat(buf, size, "default: (secret)");
	else if (pd->def)
		km_errcat(buf, size, "default: %s", pd->def);
	else
		km_errcat(buf, size, "optional");
	if (*range)
		km_errcat(buf, size, "; %s", range);
	if (pd->type == KM_PARAM_ENUM) {
		km_errcat(buf, size, "; one of ");
		km_fmt_choices(pd, buf, size);
	}
	if (pd->flags & KM_PARAM_F_SENSITIVE)
		km_errcat(buf, size, "; secret");
}

const char *km_param_type_word(km_param_type_t t) {
	return km_type_word(t);
}

void km_params_help(const km_param_t *schema, FILE *fp) {
	for (size_t i = 0; schema && schema[i].name; i++) {
		const km_param_t *pd = &schema[i];
		char buf[1024];

		km_param_summary(pd, buf, sizeof(buf));
		fprintf(fp, "  %-28s %-8s %s. %s\n", pd->name, km_type_word(pd->type), buf,
		        pd->doc ? pd->doc : "");
	}
}
