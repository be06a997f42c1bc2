/* A fake plugin host for unit tests (see fakehost.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ltdl.h>

#include "fakehost.h"

#define FH_MAX_COUNTERS 16

struct km_counter {
	char *name;
	uint64_t value;
};

struct km_ctx {
	char *name;
	char *flow_source;
	char *flow_target;
	char *log;
	size_t log_len;
	struct km_counter counters[FH_MAX_COUNTERS];
	size_t counter_cnt;
	const km_params_t *params; /* while create() runs */
	const char *err_param;     /* what param_error named; NULL: nothing */
	size_t err_item;
};

typedef struct fh_value {
	int isset;
	char *str;
	int64_t num;
	char **items;
	size_t item_cnt;
} fh_value_t;

struct km_params {
	const km_param_t *schema;
	size_t cnt;
	fh_value_t *values;
};

struct fh_module {
	lt_dlhandle handle;
};

static char *fh_strdup(const char *s) {
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		abort();
	return d;
}

/* ---- context and logging ---------------------------------------------- */

km_ctx_t *fh_ctx_new(const char *instance_name, const char *flow_source, const char *flow_target) {
	km_ctx_t *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		abort();
	ctx->name = fh_strdup(instance_name ? instance_name : "test");
	ctx->flow_source = fh_strdup(flow_source);
	ctx->flow_target = fh_strdup(flow_target);
	ctx->log = fh_strdup("");
	return ctx;
}

void fh_ctx_free(km_ctx_t *ctx) {
	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->counter_cnt; i++)
		free(ctx->counters[i].name);
	free(ctx->name);
	free(ctx->flow_source);
	free(ctx->flow_target);
	free(ctx->log);
	free(ctx);
}

const char *fh_ctx_log(const km_ctx_t *ctx) {
	return ctx->log;
}

void fh_ctx_log_clear(km_ctx_t *ctx) {
	ctx->log[0] = '\0';
	ctx->log_len = 0;
}

const char *fh_ctx_param_error(const km_ctx_t *ctx, size_t *item) {
	if (item)
		*item = ctx->err_item;
	return ctx->err_param;
}

int64_t fh_ctx_counter(const km_ctx_t *ctx, const char *name) {
	for (size_t i = 0; i < ctx->counter_cnt; i++)
		if (strcmp(ctx->counters[i].name, name) == 0)
			return (int64_t)ctx->counters[i].value;
	return -1;
}

static const char *fh_level_name(km_log_level_t level) {
	switch (level) {
	case KM_LOG_ERR:
		return "err";
	case KM_LOG_WARNING:
		return "warning";
	case KM_LOG_NOTICE:
		return "notice";
	case KM_LOG_INFO:
		return "info";
	case KM_LOG_DEBUG:
		return "debug";
	}
	abort(); /* a plugin passing another level is a bug */
}

static void fh_log(km_ctx_t *ctx, km_log_level_t level, const char *fmt, ...) KM_PRINTF(3, 4);

static void fh_log(km_ctx_t *ctx, km_log_level_t level, const char *fmt, ...) {
	const char *lvl = fh_level_name(level);
	va_list ap;
	int n;
	char *log;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	log = realloc(ctx->log, ctx->log_len + strlen(lvl) + 2 + (size_t)n + 2);
	if (!log)
		abort();
	ctx->log = log;
	ctx->log_len += (size_t)sprintf(log + ctx->log_len, "%s: ", lvl);
	va_start(ap, fmt);
	ctx->log_len += (size_t)vsprintf(log + ctx->log_len, fmt, ap);
	va_end(ap);
	log[ctx->log_len++] = '\n';
	log[ctx->log_len] = '\0';
}

static const char *fh_instance_name(const km_ctx_t *ctx) {
	return ctx->name;
}

static const char *fh_flow_source(const km_ctx_t *ctx) {
	return ctx->flow_source;
}

static const char *fh_flow_target(const km_ctx_t *ctx) {
	return ctx->flow_target;
}

/* ---- parameters ---------------------------------------------------------- */

/* Asking for a name not in the schema, or with another type, aborts, as in
 * the real host. */
static const fh_value_t *fh_param(const km_params_t *p, const char *name, km_param_type_t t1,
                                  km_param_type_t t2, km_param_type_t t3) {
	for (size_t i = 0; i < p->cnt; i++) {
		if (strcmp(p->schema[i].name, name) != 0)
			continue;
		if (p->schema[i].type != t1 && p->schema[i].type != t2 && p->schema[i].type != t3) {
			fprintf(stderr, "fakehost: parameter %s read with the wrong type\n", name);
			abort();
		}
		return &p->values[i];
	}
	fprintf(stderr, "fakehost: parameter %s is not in the schema\n", name);
	abort();
}

static const char *fh_param_str(const km_params_t *p, const char *name) {
	return fh_param(p, name, KM_PARAM_STRING, KM_PARAM_ENUM, KM_PARAM_PATH)->str;
}

static int64_t fh_param_int(const km_params_t *p, const char *name) {
	return fh_param(p, name, KM_PARAM_INT, KM_PARAM_DURATION, KM_PARAM_SIZE)->num;
}

static int fh_param_bool(const km_params_t *p, const char *name) {
	return (int)fh_param(p, name, KM_PARAM_BOOL, KM_PARAM_BOOL, KM_PARAM_BOOL)->num;
}

static size_t fh_param_list(const km_params_t *p, const char *name, const char *const **items) {
	const fh_value_t *v = fh_param(p, name, KM_PARAM_LIST, KM_PARAM_LIST, KM_PARAM_LIST);

	*items = (const char *const *)v->items;
	return v->item_cnt;
}

static int fh_param_isset(const km_params_t *p, const char *name) {
	for (size_t i = 0; i < p->cnt; i++)
		if (strcmp(p->schema[i].name, name) == 0)
			return p->values[i].isset;
	fprintf(stderr, "fakehost: parameter %s is not in the schema\n", name);
	abort();
}

/* As the real host: only in create(), and a name not in the schema aborts. */
static void fh_param_error(km_ctx_t *ctx, const char *name, size_t item) {
	const km_params_t *p = ctx->params;

	if (!p)
		return;
	for (size_t i = 0; i < p->cnt; i++) {
		if (strcmp(p->schema[i].name, name) == 0) {
			ctx->err_param = p->schema[i].name;
			ctx->err_item = item;
			return;
		}
	}
	fprintf(stderr, "fakehost: parameter %s is not in the schema\n", name);
	abort();
}

static char *fh_trim(char *s) {
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* As the real binder does with a scalar: split on commas, trim each item;
 * an empty scalar is the empty list. */
static int fh_parse_list(fh_value_t *v, const char *text) {
	char *copy = fh_strdup(text), *s = fh_trim(copy);

	if (*s) {
		while (s) {
			char *comma = strchr(s, ',');
			char **items;

			if (comma)
				*comma = '\0';
			items = realloc(v->items, (v->item_cnt + 1) * sizeof(*items));
			if (!items)
				abort();
			v->items = items;
			v->items[v->item_cnt++] = fh_strdup(fh_trim(s));
			s = comma ? comma + 1 : NULL;
		}
	}
	free(copy);
	return 0;
}

/* A number with an optional unit from @p units (name, factor pairs). */
static int fh_parse_unit(int64_t *out, const char *text, const char *const *units,
                         const int64_t *factors, size_t unit_cnt, int64_t bare) {
	char *end;
	long long n;

	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno || end == text)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (!*end) {
		*out = (int64_t)n * bare;
		return 0;
	}
	for (size_t i = 0; i < unit_cnt; i++) {
		if (strcasecmp(end, units[i]) == 0) {
			*out = (int64_t)n * factors[i];
			return 0;
		}
	}
	return -1;
}

static int fh_parse_value(const km_param_t *pd, fh_value_t *v, const char *text, char *errstr,
                          size_t errstr_size) {
	static const char *const dur_units[] = {"ms", "s", "m", "h"};
	static const int64_t dur_factors[] = {1, 1000, 60000, 3600000};
	static const char *const size_units[] = {"B", "KB", "MB", "GB"};
	static const int64_t size_factors[] = {1, 1024, 1024 * 1024, 1024 * 1024 * 1024};
	int bad = 0;

	switch (pd->type) {
	case KM_PARAM_STRING:
	case KM_PARAM_PATH: /* as given: the fake host has no configuration file */
		v->str = fh_strdup(text);
		return 0;
	case KM_PARAM_TREE: /* the fake host binds text only */
		bad = 1;
		break;
	case KM_PARAM_ENUM: {
		const char *c = pd->choices ? pd->choices : "";
		size_t len = strlen(text);

		for (;;) {
			const char *bar = strchr(c, '|');
			size_t cl = bar ? (size_t)(bar - c) : strlen(c);

			if (cl == len && strncmp(c, text, len) == 0) {
				v->str = fh_strdup(text);
				return 0;
			}
			if (!bar)
				break;
			c = bar + 1;
		}
		bad = 1;
		break;
	}
	case KM_PARAM_BOOL:
		if (!strcasecmp(text, "true") || !strcasecmp(text, "yes") ||
		    !strcasecmp(text, "on"))
			v->num = 1;
		else if (!strcasecmp(text, "false") || !strcasecmp(text, "no") ||
		         !strcasecmp(text, "off"))
			v->num = 0;
		else
			bad = 1;
		break;
	case KM_PARAM_INT:
		bad = fh_parse_unit(&v->num, text, NULL, NULL, 0, 1) != 0;
		break;
	case KM_PARAM_DURATION:
		bad = fh_parse_unit(&v->num, text, dur_units, dur_factors, 4, 1) != 0;
		break;
	case KM_PARAM_SIZE:
		bad = fh_parse_unit(&v->num, text, size_units, size_factors, 4, 1) != 0;
		break;
	case KM_PARAM_LIST:
		return fh_parse_list(v, text);
	}
	if (bad) {
		snprintf(errstr, errstr_size, "%s: invalid value \"%s\"", pd->name, text);
		return -1;
	}
	if ((pd->min != 0 || pd->max != 0) && (v->num < pd->min || v->num > pd->max)) {
		snprintf(errstr, errstr_size,
		         "%s: %" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]", pd->name,
		         v->num, pd->min, pd->max);
		return -1;
	}
	return 0;
}

void fh_params_free(km_params_t *params) {
	if (!params)
		return;
	for (size_t i = 0; i < params->cnt; i++) {
		free(params->values[i].str);
		for (size_t j = 0; j < params->values[i].item_cnt; j++)
			free(params->values[i].items[j]);
		free(params->values[i].items);
	}
	free(params->values);
	free(params);
}

km_params_t *fh_params_bind(const km_param_t *schema, const char *const *kv, char *errstr,
                            size_t errstr_size) {
	km_params_t *p = calloc(1, sizeof(*p));

	if (!p)
		abort();
	p->schema = schema;
	while (schema && schema[p->cnt].name)
		p->cnt++;
	p->values = calloc(p->cnt + 1, sizeof(*p->values));
	if (!p->values)
		abort();

	for (size_t k = 0; kv && kv[k]; k += 2) {
		size_t i;

		for (i = 0; i < p->cnt && strcmp(schema[i].name, kv[k]) != 0; i++)
			;
		if (i == p->cnt) {
			snprintf(errstr, errstr_size, "%s: unknown key", kv[k]);
			goto fail;
		}
		if (p->values[i].isset) {
			snprintf(errstr, errstr_size, "%s: duplicate key", kv[k]);
			goto fail;
		}
		if (!kv[k + 1]) {
			fprintf(stderr, "fakehost: key %s has no value\n", kv[k]);
			abort();
		}
		if (fh_parse_value(&schema[i], &p->values[i], kv[k + 1], errstr, errstr_size))
			goto fail;
		p->values[i].isset = 1;
	}
	for (size_t i = 0; i < p->cnt; i++) {
		if (p->values[i].isset)
			continue;
		if (schema[i].flags & KM_PARAM_F_REQUIRED) {
			snprintf(errstr, errstr_size, "%s: missing required key", schema[i].name);
			goto fail;
		}
		if (schema[i].def &&
		    fh_parse_value(&schema[i], &p->values[i], schema[i].def, errstr, errstr_size)) {
			fprintf(stderr, "fakehost: bad default of %s: %s\n", schema[i].name,
			        errstr);
			abort(); /* a bad default is a bug in the plugin */
		}
	}
	return p;
fail:
	fh_params_free(p);
	return NULL;
}

/* ---- metrics ------------------------------------------------------------- */

static km_counter_t *fh_counter(km_ctx_t *ctx, const char *name, const char *help) {
	if (ctx->counter_cnt == FH_MAX_COUNTERS)
		abort();
	ctx->counters[ctx->counter_cnt].name = fh_strdup(name);
	return &ctx->counters[ctx->counter_cnt++];
}

static void fh_counter_add(km_counter_t *c, uint64_t v) {
	c->value += v;
}

const km_host_api_t fh_host = {
    .abi_major = KM_PLUGIN_ABI_MAJOR,
    .abi_minor = KM_PLUGIN_ABI_MINOR,
    .size = sizeof(km_host_api_t),
    .log = fh_log,
    .instance_name = fh_instance_name,
    .flow_source = fh_flow_source,
    .flow_target = fh_flow_target,
    .param_str = fh_param_str,
    .param_int = fh_param_int,
    .param_bool = fh_param_bool,
    .param_list = fh_param_list,
    .param_isset = fh_param_isset,
    .counter = fh_counter,
    .counter_add = fh_counter_add,
    .arena_alloc = NULL,
    .batch_add = NULL,
    .param_error = fh_param_error,
};

/* ---- loading ------------------------------------------------------------- */

const km_plugin_t *fh_plugin_load(const char *relpath, fh_module_t **modp) {
	const char *dir = getenv("KM_TEST_PLUGIN_DIR");
	char path[4096];
	fh_module_t *mod;
	const km_plugin_t *pl;

	*modp = NULL;
	if (!dir || !*dir) {
		fprintf(stderr,
		        "fakehost: KM_TEST_PLUGIN_DIR is not set (run through make check)\n");
		return NULL;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, relpath) >= sizeof(path))
		return NULL;
	if (lt_dlinit() != 0) {
		fprintf(stderr, "fakehost: lt_dlinit: %s\n", lt_dlerror());
		return NULL;
	}
	if (!(mod = calloc(1, sizeof(*mod))))
		abort();
	if (!(mod->handle = lt_dlopenext(path))) {
		fprintf(stderr, "fakehost: %s: %s\n", path, lt_dlerror());
		goto fail;
	}
	if (!(pl = lt_dlsym(mod->handle, KM_PLUGIN_SYMBOL))) {
		fprintf(stderr, "fakehost: %s: no %s: %s\n", path, KM_PLUGIN_SYMBOL, lt_dlerror());
		goto fail;
	}
	*modp = mod;
	return pl;
fail:
	fh_plugin_unload(mod);
	return NULL;
}

void *fh_module_sym(fh_module_t *mod, const char *name) {
	return lt_dlsym(mod->handle, name);
}

void fh_plugin_unload(fh_module_t *mod) {
	if (!mod)
		return;
	if (mod->handle)
		lt_dlclose(mod->handle);
	free(mod);
	lt_dlexit();
}

/* ---- instances ----------------------------------------------------------- */

km_err_t fh_instance_create(fh_instance_t *fi, const km_plugin_t *plugin, const char *flow_source,
                            const char *flow_target, const char *const *kv) {
	return fh_instance_create_with(fi, &fh_host, plugin, flow_source, flow_target, kv);
}

km_err_t fh_instance_create_with(fh_instance_t *fi, const km_host_api_t *host,
                                 const km_plugin_t *plugin, const char *flow_source,
                                 const char *flow_target, const char *const *kv) {
	km_err_t err;

	memset(fi, 0, sizeof(*fi));
	fi->fhi_plugin = plugin;
	fi->fhi_ctx = fh_ctx_new(plugin->name, flow_source, flow_target);
	if (!(fi->fhi_params =
	          fh_params_bind(plugin->params, kv, fi->fhi_errstr, sizeof(fi->fhi_errstr))))
		return KM_ERR_INVALID;
	fi->fhi_ctx->params = fi->fhi_params;
	err = plugin->create(host, fi->fhi_ctx, fi->fhi_params, &fi->fhi_inst, fi->fhi_errstr,
	                     sizeof(fi->fhi_errstr));
	fi->fhi_ctx->params = NULL;
	return err;
}

void fh_instance_destroy(fh_instance_t *fi) {
	if (fi->fhi_inst && fi->fhi_plugin->destroy)
		fi->fhi_plugin->destroy(fi->fhi_inst);
	fh_params_free(fi->fhi_params);
	fh_ctx_free(fi->fhi_ctx);
	memset(fi, 0, sizeof(*fi));
}
