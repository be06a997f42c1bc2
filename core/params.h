/* Binding a schema (km_param_t) to a YAML mapping.
 *
 * km_params_bind() checks a mapping of the YAML tree against a schema:
 * unknown keys, missing required keys, wrong types, values out of range or
 * not among the choices are refused with "FILE:LINE:COL: key 'K': what is
 * wrong; what is allowed". The same binding serves the core's own options
 * (config_schema.c) and every plugin's parameters. */
#ifndef KM_PARAMS_H
#define KM_PARAMS_H

#include "yaml_tree.h"

/* Binds @p map (a KM_NODE_MAP, or NULL for "nothing given") to @p schema.
 * @p where names the place for messages (e.g. "flows[0].policy"). Keys in
 * @p ignore (NULL-terminated, may be NULL) are skipped: the caller handles
 * them (e.g. "plugin"). Returns NULL with errstr filled on the first error. */
km_params_t *km_params_bind(const km_param_t *schema, const km_node_t *map, const char *where,
                            const char *const *ignore, char *errstr, size_t errstr_size);
/* Same; @p at gives the position of "key 'x' is required" messages when
 * @p map is NULL (e.g. the scalar of `policy: identity`). */
km_params_t *km_params_bind_at(const km_param_t *schema, const km_node_t *map, const km_node_t *at,
                               const char *where, const char *const *ignore, char *errstr,
                               size_t errstr_size);
void km_params_destroy(km_params_t *p);

/* Accessors; the same functions are in the plugin host table. Asking for a
 * name not in the schema or of another type aborts (a programming error). */
const char *km_params_str(const km_params_t *p, const char *name);
const km_value_t *km_params_tree(const km_params_t *p, const char *name);
/* 1 when every PATH parameter of @p a and @p b (bound from the same schema)
 * names a file that did not change between the two bindings (device,
 * inode, size, modification time): for reloads, with km_node_equal(). */
int km_params_files_same(const km_params_t *a, const km_params_t *b);
/* 1 when this host knows parameter type @p t. */
int km_param_type_known(km_param_type_t t);
int64_t km_params_int(const km_params_t *p, const char *name);
int km_params_bool(const km_params_t *p, const char *name);
size_t km_params_list(const km_params_t *p, const char *name, const char *const **items);
int km_params_isset(const km_params_t *p, const char *name);
/* The YAML node a parameter came from (NULL when the default applies). */
const km_node_t *km_params_node(const km_params_t *p, const char *name);
/* The schema's own copy of @p name, which lives as long as the schema. */
const char *km_params_name(const km_params_t *p, const char *name);
/* Writes @p msg, a message about parameter @p name, in the form of the
 * binder's own key errors: "FILE:LINE:COL: key 'K': MSG" at the key's
 * value, with "item N: " before MSG and at the item (of a YAML list) when
 * @p item N > 0. A key not given has no position of its own: the message
 * is "FILE:LINE:COL: WHERE: key 'K': MSG" at @p at, @p where naming the
 * mapping (as "key 'K' is required" is). K is @p name, or PREFIX.NAME
 * with a @p prefix (a parameter written at another level). */
void km_params_err(const km_params_t *p, const char *name, const char *prefix, size_t item,
                   const km_node_t *at, const char *where, const char *msg, char *errstr,
                   size_t errstr_size);

/* Writes one line per parameter of @p schema (name, type, default, range,
 * choices, doc) to @p fp: the help a plugin's users read. */
void km_params_help(const km_param_t *schema, FILE *fp);
/* The part of that line after the type: "default: D; RANGE; one of ...",
 * "required" or "optional". For the generated kmirror.yaml(5). */
void km_param_summary(const km_param_t *pd, char *buf, size_t size);
/* "string", "integer", "duration", ... */
const char *km_param_type_word(km_param_type_t t);

#endif
