/* Unit tests of km_log (core/log.c): a line of any length comes out whole,
 * once, with its newline; a plugin's line through the host table
 * (core/plugin_host.c) at a level clamped into the log's range. stderr is
 * a temporary file for each call; the journal's format ("<N>" then the
 * text) keeps the expected bytes exact. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "plugin_host.h"

/* stderr goes to a temporary file until capture_end(). */
typedef struct capture {
	int fd, saved;
} capture_t;

static capture_t capture_begin(void) {
	char path[] = "/tmp/kmirror-test-log.XXXXXX";
	capture_t c = {mkstemp(path), dup(STDERR_FILENO)};

	assert_true(c.fd >= 0 && c.saved >= 0);
	unlink(path);
	assert_int_equal(dup2(c.fd, STDERR_FILENO), STDERR_FILENO);
	return c;
}

/* What was written to stderr since capture_begin() (caller frees). */
static char *capture_end(capture_t c, size_t *len) {
	char *buf;
	off_t end;

	assert_int_equal(dup2(c.saved, STDERR_FILENO), STDERR_FILENO);
	close(c.saved);
	end = lseek(c.fd, 0, SEEK_END);
	assert_true(end >= 0);
	buf = malloc((size_t)end + 1);
	assert_non_null(buf);
	assert_int_equal(pread(c.fd, buf, (size_t)end, 0), end);
	buf[end] = '\0';
	close(c.fd);
	*len = (size_t)end;
	return buf;
}

/* What km_log wrote to stderr for @p text at @p level (caller frees). */
static char *logged(km_log_level_t level, const char *text, size_t *len) {
	capture_t c = capture_begin();

	km_log(level, "%s", text);
	return capture_end(c, len);
}

/* A message of @p n bytes, not all alike, so that a lost or repeated piece
 * shows. */
static char *message(size_t n) {
	char *m = malloc(n + 1);

	assert_non_null(m);
	for (size_t i = 0; i < n; i++)
		m[i] = (char)('a' + (i * 7 + i / 26) % 26);
	m[n] = '\0';
	return m;
}

static void check_length(size_t n) {
	char *m = message(n), *out;
	size_t len;

	out = logged(KM_LOG_ERR, m, &len);
	/* "<3>" + the message + "\n" */
	assert_int_equal(len, n + 4);
	assert_memory_equal(out, "<3>", 3);
	assert_memory_equal(out + 3, m, n);
	assert_int_equal(out[len - 1], '\n');
	free(out);
	free(m);
}

/* Around the stack buffer's size (2048 bytes with the "<3>" prefix and the
 * newline) and far past it: a status line of many partitions, a broker's
 * long error. */
static void test_any_length(void **state) {
	const size_t lengths[] = {0, 1, 100, 2043, 2044, 2045, 2046, 2047, 4096, 5000, 60000};

	(void)state;
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++)
		check_length(lengths[i]);
}

/* Formatting with arguments on the long path: the arguments are read
 * again, whole. */
static void test_long_with_arguments(void **state) {
	char *m = message(3000), *out, want[3100];
	capture_t c;
	size_t len;

	(void)state;
	c = capture_begin();
	km_log(KM_LOG_WARNING, "flow %s: %d partitions: %s (%s)", "f1", 4000, m, "end");
	out = capture_end(c, &len);
	snprintf(want, sizeof(want), "<4>flow f1: 4000 partitions: %s (end)\n", m);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, strlen(want));
	free(out);
	free(m);
}

/* Lines above the configured level are not written at all. */
static void test_level_filter(void **state) {
	size_t len;
	char *out;

	(void)state;
	km_log_level = KM_LOG_INFO;
	out = logged(KM_LOG_DEBUG, "not shown", &len);
	assert_int_equal(len, 0);
	free(out);
	out = logged(KM_LOG_INFO, "shown", &len);
	assert_string_equal(out, "<6>shown\n");
	free(out);
}

/* A plugin's log line at a level outside KM_LOG_ERR..KM_LOG_DEBUG is
 * written at the nearer end (plugin.h): more severe as err (<3>), less as
 * debug (<7>), and the configured level filters it as such. */
static void test_plugin_level_clamped(void **state) {
	static const struct {
		int level;
		km_log_level_t min; /* the configured level */
		const char *want;
	} cases[] = {
	    {0, KM_LOG_DEBUG, "<3>[ab/flows[0].pipeline[0]] at 0\n"},
	    {-1, KM_LOG_DEBUG, "<3>[ab/flows[0].pipeline[0]] at -1\n"},
	    {KM_LOG_ERR - 1, KM_LOG_DEBUG, "<3>[ab/flows[0].pipeline[0]] at 2\n"},
	    {KM_LOG_ERR, KM_LOG_DEBUG, "<3>[ab/flows[0].pipeline[0]] at 3\n"},
	    {KM_LOG_DEBUG, KM_LOG_DEBUG, "<7>[ab/flows[0].pipeline[0]] at 7\n"},
	    {KM_LOG_DEBUG + 1, KM_LOG_DEBUG, "<7>[ab/flows[0].pipeline[0]] at 8\n"},
	    {99, KM_LOG_DEBUG, "<7>[ab/flows[0].pipeline[0]] at 99\n"},
	    /* clamped, then filtered as err and as debug */
	    {0, KM_LOG_ERR, "<3>[ab/flows[0].pipeline[0]] at 0\n"},
	    {99, KM_LOG_INFO, ""},
	};
	char name[] = "ab/flows[0].pipeline[0]";
	struct km_ctx ctx = {.name = name};
	km_log_level_t saved = km_log_level;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		capture_t c;
		size_t len;
		char *out;

		km_log_level = cases[i].min;
		c = capture_begin();
		km_host_api.log(&ctx, (km_log_level_t)cases[i].level, "at %d", cases[i].level);
		out = capture_end(c, &len);
		if (strcmp(out, cases[i].want))
			fail_msg("level %d: logged \"%s\", want \"%s\"", cases[i].level, out,
			         cases[i].want);
		free(out);
	}
	km_log_level = saved;
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_any_length),
	    cmocka_unit_test(test_long_with_arguments),
	    cmocka_unit_test(test_level_filter),
	    cmocka_unit_test(test_plugin_level_clamped),
	};
	/* The journal's format: no time stamp, so the bytes are known. */
	setenv("JOURNAL_STREAM", "8:1234", 1);
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
