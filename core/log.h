/* Logging: one line per event to stderr with a level (journald picks the
 * level from the "<N>" prefix when the unit says SyslogLevelPrefix=true).
 * A line has any length and goes out in one write(2). */
#ifndef KM_LOG_H
#define KM_LOG_H

#include "kmirror/plugin.h"

/* Lines above this level are dropped; set from the config. Read by every
 * thread that logs, set by the main thread (a reload, while flows run). */
extern _Atomic km_log_level_t km_log_level;

void km_log(km_log_level_t level, const char *fmt, ...) KM_PRINTF(2, 3);
/* Parses "err", "warning", ...; -1 when unknown. */
int km_log_level_parse(const char *name);

#define km_err(...)    km_log(KM_LOG_ERR, __VA_ARGS__)
#define km_warn(...)   km_log(KM_LOG_WARNING, __VA_ARGS__)
#define km_notice(...) km_log(KM_LOG_NOTICE, __VA_ARGS__)
#define km_info(...)   km_log(KM_LOG_INFO, __VA_ARGS__)
#define km_dbg(...)    km_log(KM_LOG_DEBUG, __VA_ARGS__)

#endif
