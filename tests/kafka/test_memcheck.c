/* kmirrord under valgrind's memcheck for a short replication: a flow from
 * a to b copies 3,000 records (with a Lua stage, so the sandbox is in it
 * too) and then a SIGHUP reloads it, and SIGTERM stops it; memcheck
 * reports no error and no definite leak (--errors-for-leak-kinds=definite,
 * exit status 99 otherwise). tests/memcheck.supp holds the suppressions
 * for librdkafka, each explained.
 *
 * Not among make check-kafka's suites (a sanitized build cannot run under
 * valgrind): make check-memcheck runs it on a bed of its own (a b). */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktest.h"

#define TIMEOUT_MS 300000 /* everything is 20 to 50 times slower */
#define RECORDS    3000

static void test_memcheck_replication(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], mirror[160], yaml[1024] = "", supp[512], logopt[600];
	char script[400], extra[900];
	FILE *fp;
	const char *src = getenv("KM_TEST_SRCDIR");
	rd_kafka_t *admin = ktest_producer("a", NULL);
	int64_t t0 = ktest_now_ms();
	int st, clean = 0;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "memcheck");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(admin, topic, 2, NULL);
	ktest_produce_varied(topic, 2, 0, RECORDS, "v");
	/* the script lives in the daemon's directory: the flow is written
	 * once its path is known */
	ktest_daemon_config(d, "");
	snprintf(script, sizeof(script), "%.*s/tag.lua", (int)sizeof(d->dir), d->dir);
	assert_non_null(fp = fopen(script, "w"));
	fputs("function process_record(r)\n  r.value = r.value\nend\n", fp);
	assert_int_equal(fclose(fp), 0);
	snprintf(extra, sizeof(extra),
	         "    heartbeats.replication.enabled: false\n"
	         "    pipeline:\n"
	         "      - plugin: lua\n"
	         "        script: %s\n",
	         script);
	ktest_flow_yaml(yaml, sizeof(yaml), topic, "a", "b", topic, extra, NULL);
	ktest_daemon_rewrite(d, yaml);
	snprintf(supp, sizeof(supp), "--suppressions=%s/tests/memcheck.supp", src ? src : "..");
	snprintf(logopt, sizeof(logopt), "--log-file=%.*s/valgrind.log", (int)sizeof(d->dir),
	         d->dir);
	{
		const char *const vg[] = {"valgrind",
		                          "--leak-check=full",
		                          "--errors-for-leak-kinds=definite",
		                          "--show-leak-kinds=definite",
		                          "--error-exitcode=99",
		                          "--num-callers=40",
		                          "--track-fds=no",
		                          supp,
		                          logopt,
		                          NULL};
		ktest_daemon_start_under(d, NULL, vg);
	}
	ktest_status_wait_caught_up(d, topic, admin, topic, 2, TIMEOUT_MS);
	ktest_status_wait(d, topic, "records", RECORDS, TIMEOUT_MS);
	/* a reload (nothing changed), then more records after it */
	kill(d->pid, SIGHUP);
	ktest_log_wait(d, "reload done", TIMEOUT_MS);
	ktest_produce_varied(topic, 2, RECORDS, RECORDS, "w");
	ktest_status_wait(d, topic, "records", 2 * RECORDS, TIMEOUT_MS);
	st = ktest_daemon_stop(d, SIGTERM, TIMEOUT_MS);
	ktest_note("kmirrord under memcheck: %lld ms from start to exit, exit status %d",
	           (long long)(ktest_now_ms() - t0), st);
	{
		char path[600], line[1024];

		snprintf(path, sizeof(path), "%.*s/valgrind.log", (int)sizeof(d->dir), d->dir);
		assert_non_null(fp = fopen(path, "r"));
		while (fgets(line, sizeof(line), fp)) {
			if (strstr(line, "ERROR SUMMARY") || strstr(line, "definitely lost") ||
			    strstr(line, "indirectly lost") || strstr(line, "possibly lost") ||
			    strstr(line, "still reachable") || strstr(line, "suppressed:"))
				ktest_note("%s", line);
			if (strstr(line, "ERROR SUMMARY: 0 errors"))
				clean = 1;
		}
		fclose(fp);
		if (st != 0 || !clean) {
			char cmd[700];
			snprintf(cmd, sizeof(cmd), "head -c 20000 %s >&2", path);
			if (system(cmd) < 0)
				print_error("cannot show %s\n", path);
			fail_msg("memcheck reported errors or definite leaks (exit status %d): see "
			         "above",
			         st);
		}
	}
	ktest_assert_exact_copy(topic, mirror, 2, 2 * RECORDS);
	ktest_destroy(admin);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_memcheck_replication, ktest_daemon_teardown),
	};

	ktest_require_testbed("a", "b", NULL);
	return cmocka_run_group_tests_name("memcheck", tests, NULL, NULL);
}
