/* Whole-match PCRE2 regular expressions for the transform plugins that
 * have some (header_drop, topic_router, filter): compiled once in create(),
 * with their match data, and refused with the host's position. */
#ifndef KMIRROR_PLUGINS_TRANSFORM_REGEX_H
#define KMIRROR_PLUGINS_TRANSFORM_REGEX_H

#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>

#include "transform_common.h"

/** How a pattern reads its subjects. */
typedef enum tx_regex_mode {
	TX_REGEX_TEXT,  /**< UTF-8 names (topics, header names): `.` is a character;
	                     bytes that are not UTF-8 match nothing */
	TX_REGEX_BYTES, /**< keys and header values: any bytes, NULs too; `.` is a byte */
} tx_regex_mode_t;

/** One compiled pattern and its match data (made once, in create()). */
typedef struct tx_regex {
	pcre2_code *txr_code;
	pcre2_match_data *txr_md;
	uint32_t txr_groups; /**< capture groups in the pattern */
} tx_regex_t;

/**
 * Compiles @p pattern, the value of parameter @p name, to match whole
 * subjects (Java's Matcher.matches()). A bad pattern is refused with
 * tx_refuse(), PCRE2's message and offset, and @p what (e.g. "matched
 * against whole topic names") to say what the value is.
 * @returns KM_OK with @p re filled in (free with tx_regex_free()), or an error.
 */
km_err_t tx_regex_compile(tx_regex_t *re, const km_host_api_t *host, km_ctx_t *ctx,
                          const char *name, const char *pattern, tx_regex_mode_t mode,
                          const char *what, char *errstr, size_t errstr_size);
void tx_regex_free(tx_regex_t *re);

/**
 * Matches @p len bytes at @p subject (borrowed; NULs allowed) against the
 * whole pattern; the groups are in re->txr_md afterwards.
 * @returns 1 on a match, 0 on none, a negative PCRE2 error code when
 *          matching failed (e.g. its match limit).
 */
int tx_regex_match(const tx_regex_t *re, const void *subject, size_t len);

#endif /* KMIRROR_PLUGINS_TRANSFORM_REGEX_H */
