/* Logging to stderr, one write(2) per line so threads do not interleave. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

_Atomic km_log_level_t km_log_level = KM_LOG_INFO;

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

/* The whole line in one write, so that another thread's line never lands
 * in the middle of it (a pipe or the journal's socket takes a write of up
 * to PIPE_BUF whole; past that, what is left is written after). */
static void write_line(const char *line, size_t n) {
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, line, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere else to report it */
		line += w;
		n -= (size_t)w;
	}
}

void km_log(km_log_level_t level, const char *fmt, ...) {
	char stack[2048], *line = stack;
	struct timespec ts;
	struct tm tm;
	size_t n, len;
	int r;
	va_list ap, again;

	if (level > km_log_level)
		return;
	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	if (journal) {
		n = (size_t)snprintf(stack, sizeof(stack), "<%d>", (int)level);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(stack, sizeof(stack), "%Y-%m-%dT%H:%M:%S", &tm);
		n += (size_t)snprintf(stack + n, sizeof(stack) - n,
		                      ".%03ldZ %s: ", ts.tv_nsec / 1000000, level_names[level]);
	}
	va_start(ap, fmt);
	va_copy(again, ap);
	r = vsnprintf(stack + n, sizeof(stack) - n, fmt, ap);
	va_end(ap);
	len = r < 0 ? 0 : (size_t)r;
	/* Most lines fit the stack buffer with room for the newline; a longer
	 * one (a status line, a long broker error) is formatted again on the
	 * heap, whole. */
	if (n + len + 1 > sizeof(stack)) {
		if ((line = malloc(n + len + 2))) {
			memcpy(line, stack, n);
			vsnprintf(line + n, len + 1, fmt, again);
		} else {
			line = stack; /* out of memory: the line as far as it fits */
			len = sizeof(stack) - 1 - n;
		}
	}
	va_end(again);
	n += len;
	line[n++] = '\n';
	write_line(line, n);
	if (line != stack)
		free(line);
}
