/* Logging to stderr, one write(2) per line so threads do not interleave. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

km_log_level_t km_log_level = KM_LOG_INFO;

static const char *const level_names[] = {
    [KM_LOG_ERR] = "err",   [KM_LOG_WARNING] = "warning", [KM_LOG_NOTICE] = "notice",
    [KM_LOG_INFO] = "info", [KM_LOG_DEBUG] = "debug",
};

int km_log_level_parse(const char *name) {
	for (int l = KM_LOG_ERR; l <= KM_LOG_DEBUG; l++)
		if (!strcmp(name, level_names[l]))
			return l;
	return -1;
}

/* Under systemd, stderr goes to the journal: "<N>" gives the level and
 * the journal adds the time. */
static int journal = -1;

void km_log(km_log_level_t level, const char *fmt, ...) {
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	va_list ap;

	if (level > km_log_level)
		return;
	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	if (journal) {
		n = (size_t)snprintf(line, sizeof(line), "<%d>", (int)level);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		                      ".%03ldZ %s: ", ts.tv_nsec / 1000000, level_names[level]);
	}
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	n = strlen(line);
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere else to report it */
	}
}
