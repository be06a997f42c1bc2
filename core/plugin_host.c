/* The plugin host: loading shared-object plugins with libltdl, checking
 * them, and the host API table they are given. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ltdl.h>

#include "params.h"
#include "config_model.h"
#include "log.h"
#include "murmur2.h"
#include "pipeline.h"
#include "plugin_host.h"

typedef struct km_loaded {
	char *name;
	char *path;
	lt_dlhandle handle;
	km_plugin_t desc; /* the plugin's descriptor, zero-extended to ours */
	union {           /* its kind's operations, zero-extended to ours */
		km_policy_ops_t policy;
		km_topic_filter_ops_t topic_filter;
		km_stage_ops_t stage;
		km_group_filter_ops_t group_filter;
		km_config_filter_ops_t config_filter;
	} ops;
	struct km_loaded *next;
} km_loaded_t;

struct km_plugin_host {
	char **dirs;
	size_t dir_cnt;
	km_loaded_t *loaded;
};

static int ltdl_users;

const char *km_plugin_kind_name(km_plugin_kind_t kind) {
	switch (kind) {
	case KM_PLUGIN_POLICY:
		return "replication policy";
	case KM_PLUGIN_TOPIC_FILTER:
		return "topic filter";
	case KM_PLUGIN_STAGE:
		return "record stage";
	case KM_PLUGIN_GROUP_FILTER:
		return "group filter";
	case KM_PLUGIN_CONFIG_FILTER:
		return "config-property filter";
	}
	return "unknown kind";
}

km_plugin_host_t *km_plugin_host_new(const char *const *dirs, size_t dir_cnt) {
	km_plugin_host_t *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->dirs = calloc(dir_cnt ? dir_cnt : 1, sizeof(*h->dirs));
	if (!h->dirs) {
		free(h);
		return NULL;
	}
	for (size_t i = 0; i < dir_cnt; i++) {
		if (!(h->dirs[i] = strdup(dirs[i]))) {
			h->dir_cnt = i;
			km_plugin_host_destroy(h);
			return NULL;
		}
	}
	h->dir_cnt = dir_cnt;
	if (ltdl_users++ == 0)
		lt_dlinit();
	return h;
}

void km_plugin_host_destroy(km_plugin_host_t *h) {
	km_loaded_t *l, *next;

	if (!h)
		return;
	for (l = h->loaded; l; l = next) {
		next = l->next;
		lt_dlclose(l->handle);
		free(l->name);
		free(l->path);
		free(l);
	}
	for (size_t i = 0; i < h->dir_cnt; i++)
		free(h->dirs[i]);
	free(h->dirs);
	free(h);
	if (--ltdl_users == 0)
		lt_dlexit();
}

static int valid_name(const char *name) {
	if (!*name)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

/* Finds NAME.so in the plugin directories: exactly one must exist. */
static char *find_plugin(const km_plugin_host_t *h, const char *name, char *errstr,
                         size_t errstr_size) {
	char *found = NULL, path[4096];
	struct stat st;

	for (size_t i = 0; i < h->dir_cnt; i++) {
		snprintf(path, sizeof(path), "%s/%s.so", h->dirs[i], name);
		if (stat(path, &st) != 0)
			continue;
		if (found) {
			snprintf(
			    errstr, errstr_size,
			    "plugin '%s' is found twice, as %s and %s: remove one, or drop one "
			    "of the directories from plugin_dirs",
			    name, found, path);
			free(found);
			return NULL;
		}
		if (!(found = strdup(path))) {
			snprintf(errstr, errstr_size, "plugin '%s': out of memory", name);
			return NULL;
		}
	}
	if (!found) {
		size_t n = (size_t)snprintf(errstr, errstr_size,
		                            "plugin '%s' not found: no %s.so in plugin_dirs (",
		                            name, name);
		for (size_t i = 0; i < h->dir_cnt && n < errstr_size; i++)
			n += (size_t)snprintf(errstr + n, errstr_size - n, "%s%s", i ? ", " : "",
			                      h->dirs[i]);
		if (n < errstr_size)
			snprintf(errstr + n, errstr_size - n, ")");
	}
	return found;
}

/* A plugin runs with the daemon's rights: refuse files anyone may replace. */
static km_err_t check_writable(const char *path, char *errstr, size_t errstr_size) {
	char dir[4096];
	struct stat st;
	char *slash;

	if (stat(path, &st) != 0) {
		int e = errno;

		snprintf(errstr, errstr_size, "%s: %s", path, strerror(e));
		return e == ENOENT ? KM_ERR_NOENT : KM_ERR_IO;
	}
	if (st.st_mode & S_IWOTH) {
		snprintf(errstr, errstr_size,
		         "plugin file %s is world-writable, so anyone could replace the code "
		         "kmirrord runs: fix it with chmod o-w",
		         path);
		return KM_ERR_INVALID;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')))
		*slash = '\0';
	if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		snprintf(errstr, errstr_size,
		         "plugin directory %s is world-writable, so anyone could replace the "
		         "plugins in it: fix it with chmod o-w",
		         dir);
		return KM_ERR_INVALID;
	}
	return KM_OK;
}

/* Each kind's operations: where the descriptor points at them, their
 * type, and the functions every plugin of the kind defines (the table's
 * size must reach past the last of them). */
#define KM_KIND(k, field, type, last)                                                              \
	[k] = {offsetof(km_plugin_t, field), #type, offsetof(type, last) + sizeof(void *),         \
	       sizeof(type)}
static const struct km_kind {
	size_t ptr_off; /* of the ops pointer in km_plugin_t */
	const char *type;
	size_t min, ours;
} km_kinds[] = {
    KM_KIND(KM_PLUGIN_POLICY, policy, km_policy_ops_t, is_checkpoints_topic),
    KM_KIND(KM_PLUGIN_TOPIC_FILTER, topic_filter, km_topic_filter_ops_t, filter),
    KM_KIND(KM_PLUGIN_STAGE, stage, km_stage_ops_t, process),
    KM_KIND(KM_PLUGIN_GROUP_FILTER, group_filter, km_group_filter_ops_t, filter),
    KM_KIND(KM_PLUGIN_CONFIG_FILTER, config_filter, km_config_filter_ops_t, filter),
};
#define KM_KIND_LAST KM_PLUGIN_CONFIG_FILTER

/* The slot in @p out that points at its kind's operations. */
static const void **kind_ops(km_plugin_t *out) {
	return (const void **)((char *)out + km_kinds[out->kind].ptr_off);
}

/* Copies the kind's operations table of @p out into @p ops, reading only
 * the bytes the plugin says it has (its `size`), which must hold at least
 * the functions every plugin of the kind defines, and points @p out at the
 * copy. */
static km_err_t copy_ops(km_plugin_t *out, void *ops, const char *path, char *errstr,
                         size_t errstr_size) {
	const struct km_kind *k = &km_kinds[out->kind];
	const void **slot = kind_ops(out);
	uint32_t size;

	memcpy(&size, *slot, sizeof(size));
	if (size < k->min) {
		snprintf(errstr, errstr_size,
		         "%s: its %s table says it has %u bytes, fewer than ABI %d needs (%zu): "
		         "define the table with KM_OPS(%s)",
		         path, k->type, size, KM_PLUGIN_ABI_MAJOR, k->min, k->type);
		return KM_ERR_ABI;
	}
	memcpy(ops, *slot, size < k->ours ? size : k->ours);
	*slot = ops;
	return KM_OK;
}

/* Copies the descriptor and its operations, reading only the bytes the
 * plugin was built with and checking what the host relies on. */
static km_err_t check_descriptor(const km_plugin_t *d, const char *name, const char *path,
                                 km_plugin_t *out, void *ops, char *errstr, size_t errstr_size) {
	size_t min = offsetof(km_plugin_t, stage) + sizeof(d->stage);
	km_err_t err;

	if (d->abi_major != KM_PLUGIN_ABI_MAJOR) {
		snprintf(errstr, errstr_size,
		         "%s was built for plugin ABI %u.%u, but this kmirrord has ABI %d.%d: "
		         "rebuild the plugin against this version's SDK",
		         path, d->abi_major, d->abi_minor, KM_PLUGIN_ABI_MAJOR,
		         KM_PLUGIN_ABI_MINOR);
		return KM_ERR_ABI;
	}
	if (d->size < min) {
		snprintf(errstr, errstr_size,
		         "%s has a descriptor of %u bytes, smaller than ABI %d needs (%zu): "
		         "rebuild the plugin with KM_PLUGIN_DEFINE",
		         path, d->size, KM_PLUGIN_ABI_MAJOR, min);
		return KM_ERR_ABI;
	}
	memset(out, 0, sizeof(*out));
	memcpy(out, d, d->size < sizeof(*out) ? d->size : sizeof(*out));
	if (!out->name || strcmp(out->name, name)) {
		snprintf(errstr, errstr_size,
		         "%s calls itself '%s', not '%s': a plugin's file must be named after "
		         "it (%s.so)",
		         path, out->name ? out->name : "(null)", name,
		         out->name ? out->name : "NAME");
		return KM_ERR_INVALID;
	}
	if ((int)out->kind > KM_KIND_LAST) {
		snprintf(errstr, errstr_size,
		         "%s is of kind %d, which this kmirrord (plugin ABI %d.%d) does not know: "
		         "use a kmirrord as new as the plugin's SDK (%u.%u)",
		         path, (int)out->kind, KM_PLUGIN_ABI_MAJOR, KM_PLUGIN_ABI_MINOR,
		         out->abi_major, out->abi_minor);
		return KM_ERR_ABI;
	}
	if (!out->create || (int)out->kind < KM_PLUGIN_POLICY || !*kind_ops(out))
		goto lacks;
	if ((err = copy_ops(out, ops, path, errstr, errstr_size)) != KM_OK)
		return err;
	for (const km_param_t *pd = out->params; pd && pd->name; pd++)
		if (!km_param_type_known(pd->type)) {
			snprintf(errstr, errstr_size,
			         "%s: parameter '%s' has type %d, which this kmirrord (plugin ABI "
			         "%d.%d) does not know: use a kmirrord as new as the plugin's SDK "
			         "(%u.%u)",
			         path, pd->name, (int)pd->type, KM_PLUGIN_ABI_MAJOR,
			         KM_PLUGIN_ABI_MINOR, out->abi_major, out->abi_minor);
			return KM_ERR_ABI;
		}
	if ((out->kind == KM_PLUGIN_TOPIC_FILTER && !out->topic_filter->filter) ||
	    (out->kind == KM_PLUGIN_STAGE && !out->stage->process) ||
	    (out->kind == KM_PLUGIN_GROUP_FILTER && !out->group_filter->filter) ||
	    (out->kind == KM_PLUGIN_CONFIG_FILTER && !out->config_filter->filter))
		goto lacks;
	if (out->kind == KM_PLUGIN_POLICY) {
		const km_policy_ops_t *o = out->policy;
		if (!o->format_remote_topic || !o->topic_source || !o->upstream_topic ||
		    !o->heartbeats_topic || !o->checkpoints_topic || !o->offset_syncs_topic ||
		    !o->is_internal_topic || !o->is_checkpoints_topic) {
			snprintf(errstr, errstr_size,
			         "%s: a replication policy must define every km_policy_ops_t "
			         "function",
			         path);
			return KM_ERR_INVALID;
		}
	}
	return KM_OK;
lacks:
	snprintf(errstr, errstr_size,
	         "%s: its descriptor lacks create() or the operations of its kind (%d): "
	         "the plugin is broken",
	         path, (int)out->kind);
	return KM_ERR_INVALID;
}

const km_plugin_t *km_plugin_load(km_plugin_host_t *h, const char *name, char *errstr,
                                  size_t errstr_size) {
	km_loaded_t *l;
	lt_dladvise advise;
	lt_dlhandle handle;
	const km_plugin_t *d;
	char *path;

	for (l = h->loaded; l; l = l->next)
		if (!strcmp(l->name, name))
			return &l->desc;
	if (!valid_name(name)) {
		snprintf(errstr, errstr_size,
		         "'%s' is not a plugin name: use lower-case letters, digits and '_'", name);
		return NULL;
	}
	if (!(path = find_plugin(h, name, errstr, errstr_size)))
		return NULL;
	if (check_writable(path, errstr, errstr_size) != KM_OK)
		goto fail;

	/* Local symbols: every plugin exports the same name, km_plugin. */
	lt_dladvise_init(&advise);
	lt_dladvise_local(&advise);
	handle = lt_dlopenadvise(path, advise);
	lt_dladvise_destroy(&advise);
	if (!handle) {
		snprintf(errstr, errstr_size, "cannot load plugin %s: %s", path, lt_dlerror());
		goto fail;
	}
	d = lt_dlsym(handle, KM_PLUGIN_SYMBOL);
	if (!d) {
		snprintf(errstr, errstr_size,
		         "%s does not export the symbol '%s', so it is not a kmirror plugin "
		         "(define it with KM_PLUGIN_DEFINE from <kmirror/plugin.h>)",
		         path, KM_PLUGIN_SYMBOL);
		lt_dlclose(handle);
		goto fail;
	}
	if (!(l = calloc(1, sizeof(*l)))) {
		snprintf(errstr, errstr_size, "out of memory");
		lt_dlclose(handle);
		goto fail;
	}
	if (check_descriptor(d, name, path, &l->desc, &l->ops, errstr, errstr_size) != KM_OK) {
		free(l);
		lt_dlclose(handle);
		goto fail;
	}
	l->name = strdup(name);
	l->path = path;
	l->handle = handle;
	l->next = h->loaded;
	h->loaded = l;
	km_info("loaded %s %s %s from %s", km_plugin_kind_name(l->desc.kind), name,
	        l->desc.version ? l->desc.version : "", path);
	return &l->desc;
fail:
	free(path);
	return NULL;
}

/* A stage's timer: the host's own key tick_interval of its pipeline entry. */
static const km_param_t stage_host_params[] = {
    {.name = "tick_interval",
     .type = KM_PARAM_DURATION,
     .def = "1s",
     .min = 10,
     .max = 86400000,
     .doc = "How often the stage's timer (tick) runs"},
    {.name = NULL},
};

static km_err_t stage_timer(km_instance_t *inst, const km_plugin_ref_t *ref, char *errstr,
                            size_t errstr_size) {
	km_node_t *k = (km_node_t *)(ref->node ? km_node_key(ref->node, "tick_interval") : NULL);
	km_node_t *v = (km_node_t *)(ref->node ? km_node_get(ref->node, "tick_interval") : NULL);
	km_node_t sub = {.type = KM_NODE_MAP, .keys = &k, .vals = &v, .cnt = k ? 1 : 0};
	km_params_t *p;
	char pos[256];

	if (k && !inst->plugin->stage->tick) {
		snprintf(errstr, errstr_size,
		         "%s: %s: key 'tick_interval': stage '%s' has no timer (no tick "
		         "function): remove the key",
		         km_node_pos(k, pos, sizeof(pos)), ref->path, inst->plugin->name);
		return KM_ERR_INVALID;
	}
	if (ref->node) {
		sub.file = ref->node->file;
		sub.line = ref->node->line;
		sub.col = ref->node->col;
	}
	if (!(p = km_params_bind_at(stage_host_params, &sub, ref->where, ref->path, NULL, errstr,
	                            errstr_size)))
		return KM_ERR_INVALID;
	inst->tick_ms = km_params_int(p, "tick_interval");
	km_params_destroy(p);
	return KM_OK;
}

km_instance_t *km_instance_new(km_plugin_host_t *h, const km_plugin_ref_t *ref,
                               km_plugin_kind_t kind, const char *flow, const char *source,
                               const char *target, char *errstr, size_t errstr_size) {
	static const char *const ignore[] = {"plugin", NULL};
	static const char *const stage_ignore[] = {"plugin", "tick_interval", NULL};
	char pos[256], msg[1024];
	const km_plugin_t *p;
	km_instance_t *inst;
	km_err_t err;

	if (!(p = km_plugin_load(h, ref->plugin, msg, sizeof(msg)))) {
		snprintf(errstr, errstr_size, "%s: %s: %s",
		         km_node_pos(ref->where, pos, sizeof(pos)), ref->path, msg);
		return NULL;
	}
	if (p->kind != kind) {
		snprintf(errstr, errstr_size,
		         "%s: %s: plugin '%s' is a %s, but a %s is needed here",
		         km_node_pos(ref->where, pos, sizeof(pos)), ref->path, p->name,
		         km_plugin_kind_name(p->kind), km_plugin_kind_name(kind));
		return NULL;
	}
	if (!(inst = calloc(1, sizeof(*inst))))
		goto oom;
	inst->plugin = p;
	if (!(inst->ctx.name = malloc(strlen(flow ? flow : "") + strlen(ref->path) + 2)))
		goto oom;
	sprintf(inst->ctx.name, "%s%s%s", flow ? flow : "", flow ? "/" : "", ref->path);
	if ((source && !(inst->ctx.source = strdup(source))) ||
	    (target && !(inst->ctx.target = strdup(target))))
		goto oom;
	{
		static const km_param_t none[] = {{.name = NULL}};
		inst->params = km_params_bind_at(
		    p->params ? p->params : none, ref->node, ref->where, ref->path,
		    kind == KM_PLUGIN_STAGE ? stage_ignore : ignore, errstr, errstr_size);
	}
	if (!inst->params ||
	    (kind == KM_PLUGIN_STAGE && stage_timer(inst, ref, errstr, errstr_size) != KM_OK)) {
		km_instance_destroy(inst);
		return NULL;
	}
	inst->ctx.params = inst->params;
	err = p->create(&km_host_api, &inst->ctx, inst->params, &inst->data, msg, sizeof(msg));
	inst->ctx.params = NULL;
	if (err != KM_OK) {
		if (inst->ctx.err_param)
			km_params_err(inst->params, inst->ctx.err_param, ref->key_prefix,
			              inst->ctx.err_item, ref->node ? ref->node : ref->where,
			              ref->path, msg, errstr, errstr_size);
		else
			snprintf(errstr, errstr_size, "%s: %s: plugin '%s': %s",
			         km_node_pos(ref->node ? ref->node : ref->where, pos, sizeof(pos)),
			         ref->path, p->name, msg);
		inst->data = NULL;
		km_instance_destroy(inst);
		return NULL;
	}
	return inst;
oom:
	snprintf(errstr, errstr_size, "out of memory");
	km_instance_destroy(inst);
	return NULL;
}

void km_instance_destroy(km_instance_t *inst) {
	struct km_counter *c, *next;

	if (!inst)
		return;
	if (inst->data && inst->plugin->destroy)
		inst->plugin->destroy(inst->data);
	km_params_destroy(inst->params);
	for (c = inst->ctx.counters; c; c = next) {
		next = c->next;
		free(c->name);
		free(c->help);
		free(c);
	}
	free(inst->ctx.name);
	free(inst->ctx.source);
	free(inst->ctx.target);
	free(inst);
}

/* ---- the host API ------------------------------------------------------ */

static void host_log(km_ctx_t *ctx, km_log_level_t level, const char *fmt, ...) {
	char msg[1800];
	va_list ap;

	/* a level outside the enum: more severe is an error, less is debug */
	if ((int)level < KM_LOG_ERR)
		level = KM_LOG_ERR;
	else if ((int)level > KM_LOG_DEBUG)
		level = KM_LOG_DEBUG;
	if (level > km_log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	km_log(level, "[%s] %s", ctx->name, msg);
}

static const char *host_instance_name(const km_ctx_t *ctx) {
	return ctx->name;
}
static const char *host_flow_source(const km_ctx_t *ctx) {
	return ctx->source;
}
static const char *host_flow_target(const km_ctx_t *ctx) {
	return ctx->target;
}

static km_counter_t *host_counter(km_ctx_t *ctx, const char *name, const char *help) {
	struct km_counter *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->name = strdup(name);
	c->help = strdup(help ? help : "");
	if (!c->name || !c->help) {
		free(c->name);
		free(c->help);
		free(c);
		return NULL;
	}
	c->next = ctx->counters;
	ctx->counters = c;
	return c;
}

static void host_counter_add(km_counter_t *c, uint64_t v) {
	if (c)
		atomic_fetch_add_explicit(&c->value, v, memory_order_relaxed);
}

static int32_t host_target_partitions(km_ctx_t *ctx, const char *topic) {
	return ctx->target_partitions ? ctx->target_partitions(ctx->owner, topic) : -1;
}

static void host_param_error(km_ctx_t *ctx, const char *name, size_t item) {
	if (!ctx->params)
		return; /* not in create() */
	ctx->err_param = km_params_name(ctx->params, name);
	ctx->err_item = item;
}

const km_host_api_t km_host_api = {
    .abi_major = KM_PLUGIN_ABI_MAJOR,
    .abi_minor = KM_PLUGIN_ABI_MINOR,
    .size = sizeof(km_host_api_t),
    .log = host_log,
    .instance_name = host_instance_name,
    .flow_source = host_flow_source,
    .flow_target = host_flow_target,
    .param_str = km_params_str,
    .param_int = km_params_int,
    .param_bool = km_params_bool,
    .param_list = km_params_list,
    .param_isset = km_params_isset,
    .counter = host_counter,
    .counter_add = host_counter_add,
    .arena_alloc = km_batch_arena_alloc,
    .batch_add = km_batch_add,
    .err2str = km_err2str,
    .murmur2 = km_murmur2,
    .murmur2_partition = km_murmur2_partition,
    .target_partitions = host_target_partitions,
    .param_error = host_param_error,
    .param_tree = km_params_tree,
};
