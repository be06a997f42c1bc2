/* MirrorMaker 2's default filters as lists of regular expressions: a name
 * passes when it fully matches an include pattern and no exclude pattern
 * (exclude wins). The topic, group and config-property filters
 * (topic_regex, group_regex, config_regex) are this with their own
 * defaults. Linked into each of them, never exported. */
#ifndef KMIRROR_PLUGINS_REGEX_LIST_H
#define KMIRROR_PLUGINS_REGEX_LIST_H

#include <kmirror/plugin.h>

/** An include and an exclude list, compiled (opaque). */
typedef struct rl_filter rl_filter_t;

/**
 * Compiles the LIST parameters `include` (unless @p has_include is 0: then
 * every name is included) and `exclude` of @p params. Each pattern is
 * anchored at both ends, as Java's Matcher.matches(). A pattern that does
 * not compile is named to the host (param_error, item N), and @p errstr
 * says why, ending with "each matched against whole @p what".
 * @param[in] what  e.g. "topic names"; borrowed for the call.
 * @param[in] noun  what a name is in log lines, e.g. "topic"; static.
 * @returns KM_OK with *@p rlp set (free it with rl_filter_destroy()), or an
 *          error with @p errstr filled in.
 */
km_err_t rl_filter_create(rl_filter_t **rlp, const km_host_api_t *host, km_ctx_t *ctx,
                          const km_params_t *params, int has_include, const char *what,
                          const char *noun, char *errstr, size_t errstr_size);
void rl_filter_destroy(rl_filter_t *rl);

/**
 * The verdict for @p name (borrowed; NULL is rejected). A name PCRE2 cannot
 * match (not UTF-8, a match limit) is rejected and logged as a warning.
 * One match buffer serves every call: call it from one thread at a time.
 */
km_filter_result_t rl_filter_match(rl_filter_t *rl, const char *name);

#endif /* KMIRROR_PLUGINS_REGEX_LIST_H */
