/* Unit tests of km_log (core/log.c): a line of any length comes out whole,
 * once, with its newline. stderr is a temporary file for each call; the
 * journal's format ("<N>" then the text) keeps the expected bytes exact. */
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

/* What km_log wrote to stderr for @p text at @p level (caller frees). */
static char *logged(km_log_level_t level, const char *text, size_t *len) {
	char path[] = "/tmp/kmirror-test-log.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	char *buf;
	off_t end;

	assert_true(fd >= 0 && saved >= 0);
	unlink(path);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	km_log(level, "%s", text);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	end = lseek(fd, 0, SEEK_END);
	assert_true(end >= 0);
	buf = malloc((size_t)end + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)end, 0), end);
	buf[end] = '\0';
	close(fd);
	*len = (size_t)end;
	return buf;
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
	char path[] = "/tmp/kmirror-test-log.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	ssize_t r;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	unlink(path);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	km_log(KM_LOG_WARNING, "flow %s: %d partitions: %s (%s)", "f1", 4000, m, "end");
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	snprintf(want, sizeof(want), "<4>flow f1: 4000 partitions: %s (end)\n", m);
	out = malloc(4000);
	assert_non_null(out);
	r = pread(fd, out, 4000, 0);
	assert_int_equal(r, (ssize_t)strlen(want));
	assert_memory_equal(out, want, strlen(want));
	close(fd);
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

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_any_length),
	    cmocka_unit_test(test_long_with_arguments),
	    cmocka_unit_test(test_level_filter),
	};
	/* The journal's format: no time stamp, so the bytes are known. */
	setenv("JOURNAL_STREAM", "8:1234", 1);
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
