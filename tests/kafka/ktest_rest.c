/* The REST API from the real-Kafka tests. See ktest_rest.h. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "http_get.h"
#include "ktest_rest.h"

static char url[128];

const char *ktest_rest_url(ktest_daemon_t *d, size_t nth, int timeout_ms) {
	int64_t deadline = ktest_now_ms() + timeout_ms;
	char *log, *p;

	while (ktest_log_count(d, "REST API listening on ") < nth) {
		if (ktest_now_ms() > deadline)
			fail_msg("the log never said \"REST API listening on\" %zu times", nth);
		usleep(100000);
	}
	log = ktest_log_text(d);
	/* the last one: the log goes on across restarts */
	for (char *q = p = strstr(log, "REST API listening on "); q;
	     q = strstr(q + 1, "REST API listening on "))
		p = q;
	assert_non_null(p);
	sscanf(p + strlen("REST API listening on "), "%127s", url);
	free(log);
	ktest_note("REST API at %s", url);
	return url;
}

int ktest_http(const char *method, const char *path, const char *token, const char *body,
               char **out) {
	char errstr[512];
	km_http_resp_t r;

	if (km_http_do(url, method, path, token, body, 90000, &r, errstr, sizeof(errstr))) {
		print_error("%s %s: %s\n", method, path, errstr);
		fail();
	}
	if (out)
		*out = r.body;
	else
		free(r.body);
	return r.status;
}

json_t *ktest_get_json(const char *path, int want) {
	char *body;
	json_t *j;

	assert_int_equal(ktest_http("GET", path, NULL, NULL, &body), want);
	j = json_loads(body, 0, NULL);
	if (!j)
		print_error("GET %s: not JSON: %s\n", path, body);
	free(body);
	assert_non_null(j);
	return j;
}

int ktest_ctl(const char *args, const char *env, char **out) {
	char cmd[1024], file[] = "/tmp/ktest-ctl-XXXXXX";
	int st, fd = mkstemp(file);
	FILE *fp;

	assert_true(fd >= 0);
	snprintf(cmd, sizeof(cmd), "%s %s/core/kmirrorctl --url %s %s >%s 2>&1", env ? env : "",
	         getenv("KM_TEST_BUILDDIR") ? getenv("KM_TEST_BUILDDIR") : ".", url, args, file);
	st = system(cmd);
	if (out && (fp = fdopen(fd, "r"))) {
		size_t n = 0, cap = 4096;
		char *buf = malloc(cap);
		size_t got;
		assert_non_null(buf);
		while ((got = fread(buf + n, 1, cap - n - 1, fp)) > 0) {
			n += got;
			if (n + 1 == cap && !(buf = realloc(buf, cap *= 2)))
				fail();
		}
		buf[n] = '\0';
		*out = buf;
		fclose(fp);
	} else {
		close(fd);
	}
	unlink(file);
	ktest_note("kmirrorctl %s: exit %d", args, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
