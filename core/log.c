/* Logging to stderr, one write(2) per line so threads do not interleave;
 * to the journal itself, with fields, when stderr is the journal. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>
#endif

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

/* Under systemd, stderr goes to the journal (JOURNAL_STREAM names it:
 * "DEVICE:INODE" of the stream). 0: plain lines with the time; 1: "<N>"
 * lines, the level for the journal, which adds the time; 2: stderr is that
 * very stream and libsystemd is here: each line goes to the journal as an
 * entry with fields (PRIORITY, FLOW, CLUSTER, TOPIC). */
static int journal = -1;

static int journal_mode(void) {
	const char *js = getenv("JOURNAL_STREAM");

	if (!js)
		return 0;
#ifdef HAVE_SYSTEMD
	{
		unsigned long long dev, ino;
		struct stat st;
		if (sscanf(js, "%llu:%llu", &dev, &ino) == 2 && !fstat(STDERR_FILENO, &st) &&
		    (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino)
			return 2;
	}
#endif
	return 1;
}

#ifdef HAVE_SYSTEMD
/* Copies into @p out the word of @p msg after @p lead ("flow ", "cluster ",
 * " topic "), when it is a name: [A-Za-z0-9._-]+. "" otherwise. */
static void field(const char *msg, const char *lead, int at_start, char *out, size_t size) {
	const char *p =
	    at_start ? (strncmp(msg, lead, strlen(lead)) ? NULL : msg) : strstr(msg, lead);
	size_t n = 0;

	out[0] = '\0';
	if (!p)
		return;
	for (p += strlen(lead);
	     n + 1 < size && p[n] && (isalnum((unsigned char)p[n]) || strchr("._-", p[n])); n++)
		out[n] = p[n];
	out[n] = '\0';
}

/* One journal entry, the fields that the message names among them; 0
 * when the journal took it. */
static int journal_send(km_log_level_t level, const char *msg) {
	static const char *const leads[][2] = {
	    {"FLOW=", "flow "}, {"CLUSTER=", "cluster "}, {"TOPIC=", " topic "}};
	char fields[3][300], prio[16], *text = NULL;
	struct iovec iov[6];
	int n = 0, r;

	if (asprintf(&text, "MESSAGE=%s", msg) < 0)
		return -1;
	snprintf(prio, sizeof(prio), "PRIORITY=%d", (int)level);
	iov[n++] = (struct iovec){text, strlen(text)};
	iov[n++] = (struct iovec){prio, strlen(prio)};
	iov[n++] = (struct iovec){(char *)"SYSLOG_IDENTIFIER=kmirrord", 26};
	for (int i = 0; i < 3; i++) {
		size_t k = strlen(leads[i][0]);
		memcpy(fields[i], leads[i][0], k);
		field(msg, leads[i][1], i < 2, fields[i] + k, sizeof(fields[i]) - k);
		if (fields[i][k])
			iov[n++] = (struct iovec){fields[i], strlen(fields[i])};
	}
	r = sd_journal_sendv(iov, n);
	free(text);
	return r;
}
#endif

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
		journal = journal_mode();
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
#ifdef HAVE_SYSTEMD
	/* the "<N>" prefix is 3 bytes: the message follows */
	if (journal == 2 && (line[n + len] = '\0', journal_send(level, line + 3) == 0)) {
		if (line != stack)
			free(line);
		return;
	}
#endif
	n += len;
	line[n++] = '\n';
	write_line(line, n);
	if (line != stack)
		free(line);
}
