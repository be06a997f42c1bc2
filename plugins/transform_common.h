/* What the record-stage transform plugins (header_insert, header_drop,
 * topic_router, filter, timestamp, partition) share: refusing a parameter
 * with the host's position, the wall clock read once per batch, and the
 * error of a full arena. Linked into each of them, never exported; the
 * regular expressions of those that have some are in transform_regex.h. */
#ifndef KMIRROR_PLUGINS_TRANSFORM_COMMON_H
#define KMIRROR_PLUGINS_TRANSFORM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <kmirror/plugin.h>

#if defined(__GNUC__)
#define TX_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define TX_PRINTF(fmt, args)
#endif

/**
 * Refuses parameter @p name (item @p item of a list, 0: the whole value):
 * names it to the host so that the message points at it, and writes the
 * sentence @p fmt formats to @p errstr.
 * @returns KM_ERR_INVALID, for create() to return.
 */
km_err_t tx_refuse(const km_host_api_t *host, km_ctx_t *ctx, const char *name, size_t item,
                   char *errstr, size_t errstr_size, const char *fmt, ...) TX_PRINTF(7, 8);

/** The wall clock in ms since the epoch: read it once per batch. */
int64_t tx_now_ms(void);

/** Fills @p errstr for a batch the flow's memory bound cut short and
 *  returns KM_STAGE_ERROR: the flow's on_error decides. */
km_stage_action_t tx_arena_full(const char *plugin, char *errstr, size_t errstr_size);

#endif /* KMIRROR_PLUGINS_TRANSFORM_COMMON_H */
