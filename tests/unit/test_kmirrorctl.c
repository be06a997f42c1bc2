/* Unit tests of kmirrorctl (core/kmirrorctl.c): the built program run on
 * status files as kmirrord writes them (docs/status.md), and on each kind
 * of bad input, with its message and exit status. */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[256];

/* One flow as kmirrord writes it, two partitions, one stopped. */
static const char *status_json =
    "{\"flows\":[{\"name\":\"orders\",\"source\":\"us\",\"target\":\"eu\",\"state\":\"running\","
    "\"data_state\":\"running\",\"control_state\":\"running\",\"last_error\":\"a stage failed "
    "the record at offset 3\",\"last_error_at\":1796296282152,\"topics\":1,"
    "\"partitions\":{\"active\":1,\"stopped\":1,\"gone\":0},\"records\":1200,\"bytes\":9000,"
    "\"lag\":5,\"lag_ms\":40,\"partition_list\":[{\"topic\":\"t1\",\"partition\":0,"
    "\"state\":\"active\",\"next\":10,\"end\":12,\"lag\":2,\"lag_ms\":null,\"copied\":10,"
    "\"lost\":0,\"skipped\":0,\"dead_lettered\":4,\"waiting\":0,\"target\":\"us.t1\","
    "\"reason\":\"\"},"
    "{\"topic\":\"t1\",\"partition\":1,\"state\":\"stopped\",\"next\":3,\"end\":6,\"lag\":3,"
    "\"lag_ms\":null,\"copied\":3,\"lost\":0,\"skipped\":0,\"waiting\":0,\"target\":\"us.t1\","
    "\"reason\":\"the target refused the record\"}],"
    "\"acls\":{\"enabled\":true,\"last_run\":1796296282152,\"source_authorizer\":\"on\","
    "\"target_authorizer\":\"not authorized\",\"bindings\":6,\"present\":1,\"synced\":5,"
    "\"write_dropped\":1,\"failures\":1,\"last_error\":\"ACL sync: the target cluster eu: "
    "CreateAcls: no ALTER\"}}]}\n";

typedef struct run {
	int status;
	char out[8192], err[4096];
} run_t;

static void write_file(const char *name, const char *text) {
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void read_file(const char *name, char *buf, size_t size) {
	char path[512];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "r"));
	n = fread(buf, 1, size - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

/* Runs kmirrorctl with @p args (NULL-terminated) in @p dir. */
static void ctl(run_t *r, const char *const *args) {
	char bin[600], out[300], err[300];
	char *argv[16] = {bin};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, i;

	snprintf(bin, sizeof(bin), "%s/core/kmirrorctl",
	         getenv("KM_TEST_BUILDDIR") ? getenv("KM_TEST_BUILDDIR") : ".");
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(err, sizeof(err), "%s/err", dir);
	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addchdir_np(&fa, dir);
	assert_int_equal(posix_spawn(&pid, bin, &fa, NULL, argv, NULL), 0);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	r->status = WEXITSTATUS(st);
	read_file("out", r->out, sizeof(r->out));
	read_file("err", r->err, sizeof(r->err));
}

static int setup(void **state) {
	(void)state;
	snprintf(dir, sizeof(dir), "%s/kmirrorctl-test-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	write_file("status.json", status_json);
	return 0;
}

static int teardown(void **state) {
	char cmd[400];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

/* The flows as a table, a row each, with the last error under its flow. */
static void test_flows_table(void **state) {
	run_t r;
	(void)state;
	ctl(&r, (const char *[]){"status", "--status-file", "status.json", NULL});
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "FLOW"));
	assert_non_null(strstr(r.out, "LAG_MS"));
	/* name, link, state, topics, active, stopped, gone, records, lag, lag_ms */
	assert_non_null(strstr(r.out, "orders "));
	assert_non_null(strstr(r.out, "us -> eu"));
	assert_non_null(strstr(r.out, "running"));
	assert_non_null(strstr(r.out, "1200"));
	assert_non_null(strstr(r.out, "  last error: a stage failed the record at offset 3\n"));
	assert_int_equal(strchr(r.out, '\n') - r.out > 0, 1);
}

/* A flow's partitions, the stopped one with its reason. */
static void test_partitions_table(void **state) {
	run_t r;
	(void)state;
	ctl(&r, (const char *[]){"status", "--status-file=status.json", "orders", NULL});
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "TOPIC"));
	assert_non_null(strstr(r.out, "us.t1\n"));
	assert_non_null(strstr(r.out, "stopped"));
	assert_non_null(strstr(r.out, "us.t1: the target refused the record\n"));
	/* lost, skipped, dead-lettered, then the mirror topic */
	assert_non_null(strstr(r.out, " LOST SKIPPED    DLQ  TARGET / REASON\n"));
	assert_non_null(strstr(r.out, "      0       0      4  us.t1\n"));
	/* a status of an older kmirrord, without the field */
	assert_non_null(strstr(r.out, "      0       0      -  us.t1: the target"));
	/* ACL sync, under the partitions */
	assert_non_null(strstr(r.out, "\nACL sync: authorizers: source on, target not authorized; "
	                              "synced 5, of the source's 6 (1 on the target already), "
	                              "ALLOW WRITE left out 1\n"
	                              "  ACL sync: the target cluster eu: "
	                              "CreateAcls: no ALTER\n"));
}

/* --json: the document, parsed and printed again; with a flow, its object. */
static void test_json(void **state) {
	run_t r;
	(void)state;
	ctl(&r, (const char *[]){"status", "--json", "--status-file", "status.json", NULL});
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"flows\": ["));
	assert_non_null(strstr(r.out, "\"lag_ms\": null"));
	ctl(&r,
	    (const char *[]){"status", "--json", "--status-file", "status.json", "orders", NULL});
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "\"flows\""));
	assert_true(!strncmp(r.out, "{\n  \"name\": \"orders\"", 20));
}

/* Each bad input: its message and exit status (1 runtime, 2 usage). */
static void test_bad_input(void **state) {
	static const struct {
		const char *args[6];
		int status;
		const char *err;
	} cases[] = {
	    {{NULL}, 2, "kmirrorctl: no command given (kmirrorctl --help lists them)\n"},
	    {{"frob", NULL},
	     2,
	     "kmirrorctl: unknown command 'frob' (the commands: status, flows, topics, lag, "
	     "reload, validate, pause, resume, promote, failover)\n"},
	    {{"pause", "orders", NULL},
	     2,
	     "kmirrorctl: pause needs a flow and a topic, or a flow and --all (e.g. kmirrorctl "
	     "pause orders-flow orders)\n"},
	    {{"promote", "orders", "t", "--all", NULL},
	     2,
	     "kmirrorctl: promote needs a flow and a topic, or a flow and --all (e.g. "
	     "kmirrorctl promote orders-flow orders)\n"},
	    {{"pause", "orders", "t", "--force", NULL},
	     2,
	     "kmirrorctl: pause does not take --force (kmirrorctl --help)\n"},
	    {{"resume", "orders", "t", "--grant-write", NULL},
	     2,
	     "kmirrorctl: resume does not take --grant-write (kmirrorctl --help)\n"},
	    {{"status", "--all", NULL},
	     2,
	     "kmirrorctl: status does not take --all (kmirrorctl --help)\n"},
	    {{"pause", "orders", "t", "--no-wait", NULL},
	     2,
	     "kmirrorctl: pause does not take --no-wait or --timeout (kmirrorctl --help)\n"},
	    {{"failover", "orders", "t", "--timeout", "soon", NULL},
	     2,
	     "kmirrorctl: --timeout 'soon': a number of seconds (0 or more)\n"},
	    {{"pause", "orders", "t", "u", NULL},
	     2,
	     "kmirrorctl: pause takes a flow and a topic, not 'u' too\n"},
	    {{"failover", "orders", "t", "--url", "http://127.0.0.1:1", NULL},
	     3,
	     "kmirrorctl: kmirrord is not running at http://127.0.0.1:1: Connection refused\n"},
	    {{"status", "--url", "http://127.0.0.1:1", NULL},
	     3,
	     "kmirrorctl: kmirrord is not running at http://127.0.0.1:1: Connection refused\n"},
	    {{"lag", "--url=https://127.0.0.1:1", NULL},
	     2,
	     "kmirrorctl: https://127.0.0.1:1 is not a URL kmirrorctl can use: write "
	     "http://HOST:PORT (https is not supported: reach a TLS listener with curl)\n"},
	    {{"status", "-c", "missing.yaml", NULL},
	     1,
	     "kmirrorctl: cannot read missing.yaml: No such file or directory (give --url)\n"},
	    {{"flows", "x", NULL}, 2, "kmirrorctl: flows takes no argument, not 'x'\n"},
	    {{"validate", NULL}, 2, "kmirrorctl: validate needs a configuration file\n"},
	    {{"validate", "missing.yaml", NULL},
	     1,
	     "kmirrorctl: missing.yaml: cannot be read: No such file or directory\n"},
	    {{"reload", "--status-file", "status.json", NULL},
	     2,
	     "kmirrorctl: --status-file works with status only\n"},
	    {{"status", "--status-file", NULL}, 2, "kmirrorctl: --status-file needs a value\n"},
	    {{"status", "--verbose", NULL},
	     2,
	     "kmirrorctl: unknown option '--verbose' (kmirrorctl --help lists them)\n"},
	    {{"status", "--status-file", "status.json", "a", "b", NULL},
	     2,
	     "kmirrorctl: status takes one argument, not 'b' too\n"},
	    {{"status", "--status-file", "missing.json", NULL},
	     1,
	     "kmirrorctl: cannot read the status file missing.json: No such file or directory\n"},
	    {{"status", "--status-file", "cut.json", NULL},
	     1,
	     "kmirrorctl: cut.json:1:17: not JSON: ':' expected near end of file\n"},
	    {{"status", "--status-file", "other.json", NULL},
	     1,
	     "kmirrorctl: other.json is not a kmirrord status: expected an object with a "
	     "\"flows\" array (kmirrord --status-file writes one)\n"},
	    {{"status", "--status-file", "noname.json", NULL},
	     1,
	     "kmirrorctl: noname.json is not a kmirrord status: flow 1 has no \"name\"\n"},
	    {{"status", "--status-file", "status.json", "nope", NULL},
	     1,
	     "kmirrorctl: no flow 'nope' in status.json; its flows: orders\n"},
	    {{"status", "--status-file", "empty.json", "nope", NULL},
	     1,
	     "kmirrorctl: no flow 'nope' in empty.json; its flows: none\n"},
	};
	run_t r;

	(void)state;
	write_file("cut.json", "{\"flows\":[{\"name\"");
	write_file("other.json", "{\"topics\": 3}");
	write_file("noname.json", "{\"flows\":[{\"state\":\"running\"}]}");
	write_file("empty.json", "{\"flows\":[]}");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ctl(&r, cases[i].args);
		if (r.status != cases[i].status || strcmp(r.err, cases[i].err))
			fail_msg("case %zu: status %d, stderr \"%s\"; expected %d, \"%s\"", i,
			         r.status, r.err, cases[i].status, cases[i].err);
		assert_string_equal(r.out, "");
	}
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flows_table),
	    cmocka_unit_test(test_partitions_table),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests_name("kmirrorctl", tests, setup, teardown);
}
