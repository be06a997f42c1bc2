/*
 * A fake host for plugin tests: a km_host_api_t whose log goes to a buffer
 * the test reads, and a parameter binder that mimics the real one (types,
 * defaults from the plugin's schema, isset, unknown and required keys), plus
 * loading the real built plugin with libltdl. Test code only.
 *
 * The stage functions (arena_alloc, batch_add, murmur2, target_partitions)
 * are NULL: a stage test fills them into a copy of the table (e.g. with the
 * core's batches) and creates through fh_instance_create_with().
 */
#ifndef KMIRROR_TESTS_FAKEHOST_H
#define KMIRROR_TESTS_FAKEHOST_H

#include <stddef.h>
#include <stdint.h>

#include <kmirror/plugin.h>

/** The fake host table. */
extern const km_host_api_t fh_host;

/**
 * @brief Makes an instance context.
 * @param[in] flow_source, flow_target the flow's aliases; NULL: not in a flow.
 * @returns a context the caller frees with fh_ctx_free().
 */
km_ctx_t *fh_ctx_new(const char *instance_name, const char *flow_source, const char *flow_target);
void fh_ctx_free(km_ctx_t *ctx);
/** Everything logged so far, one "<level>: <line>\n" per call; borrowed. */
const char *fh_ctx_log(const km_ctx_t *ctx);
void fh_ctx_log_clear(km_ctx_t *ctx);
/** The parameter create() last named with param_error (NULL: none), and in
 *  @p item (may be NULL) the item it named (0: the whole value). */
const char *fh_ctx_param_error(const km_ctx_t *ctx, size_t *item);
/** The value of the counter @p name registered by the instance; -1: none. */
int64_t fh_ctx_counter(const km_ctx_t *ctx, const char *name);

/**
 * @brief Binds configuration values against a plugin's schema.
 * @param[in] schema the plugin's params (may be NULL: no parameters).
 * @param[in] kv     key, value, key, value, ..., NULL: values written as in
 *                   YAML scalars; a LIST is split on commas and each item
 *                   trimmed ("" is the empty list).
 * @returns the bound values (free with fh_params_free()), or NULL with
 *          @p errstr filled in (unknown key, missing required key, bad value).
 */
km_params_t *fh_params_bind(const km_param_t *schema, const char *const *kv, char *errstr,
                            size_t errstr_size);
void fh_params_free(km_params_t *params);

/** A loaded plugin module. */
typedef struct fh_module fh_module_t;

/**
 * @brief Loads $KM_TEST_PLUGIN_DIR/@p relpath (no extension: libltdl finds
 *        the .la) and returns its km_plugin descriptor.
 * @returns the descriptor with *@p modp set, or NULL (reason on stderr).
 */
const km_plugin_t *fh_plugin_load(const char *relpath, fh_module_t **modp);
/** Another exported symbol of the module, or NULL. */
void *fh_module_sym(fh_module_t *mod, const char *name);
void fh_plugin_unload(fh_module_t *mod);

/** One instance of a plugin made through the fake host. */
typedef struct fh_instance {
	const km_plugin_t *fhi_plugin;
	km_ctx_t *fhi_ctx;
	km_params_t *fhi_params;
	void *fhi_inst;
	char fhi_errstr[512];
} fh_instance_t;

/**
 * @brief Binds @p kv (as fh_params_bind()) and calls the plugin's create().
 * @returns create()'s result (KM_ERR_INVALID when binding fails), with
 *          fhi_errstr filled in on error. Call fh_instance_destroy() either way.
 */
km_err_t fh_instance_create(fh_instance_t *fi, const km_plugin_t *plugin, const char *flow_source,
                            const char *flow_target, const char *const *kv);
/** The same with the host table @p host (e.g. a copy of fh_host with the
 *  stage functions filled in); it must outlive the instance. */
km_err_t fh_instance_create_with(fh_instance_t *fi, const km_host_api_t *host,
                                 const km_plugin_t *plugin, const char *flow_source,
                                 const char *flow_target, const char *const *kv);
void fh_instance_destroy(fh_instance_t *fi);

#endif /* KMIRROR_TESTS_FAKEHOST_H */
