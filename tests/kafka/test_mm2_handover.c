/* Real-Kafka tests of a migration from MirrorMaker 2 (MM2) to kmirror: MM2
 * itself (dedicated mode, the jars of `testbed fetch --mm2`) copies a topic,
 * writes offset syncs and a group's checkpoint, and stops; kmirrord then
 * takes the same flow over, reads MM2's checkpoints and offset syncs back,
 * never writes a checkpoint behind MM2's, and a group that moves on gets an
 * exact checkpoint. Also: a record of the offset-syncs topic that is not an
 * offset sync is skipped, counted and logged, and checkpoints go on. And:
 * records MM2 copied with the identity policy (no provenance header), then
 * kmirror active/active as docs/active-active.md says to switch: nothing
 * MM2 copied crosses back.
 *
 * Each test names its clusters itself (ktest_flow_start_as), so MM2's
 * internal topics (SOURCE.checkpoints.internal, mm2-offset-syncs.TARGET
 * .internal, Connect's mm2-*.SOURCE.internal) are its own: other suites'
 * records there (test_failover puts junk in a.checkpoints.internal) cannot
 * change its counts, nor can its junk change theirs. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "ktest.h"
#include "mm2_codec.h"

#define WAIT_MS 90000

/* Flow keys: checkpoints every second. */
#define FAST "    emit.checkpoints.interval: 1s\n"

/* ---- MirrorMaker 2, a Java process of the test ------------------------- */

typedef struct mm2 {
	pid_t pid; /* -1: not running */
	char dir[256];
	char props[300];
	char log[300];
} mm2_t;

static mm2_t the_mm2 = {.pid = -1};

/* The class path directory of `testbed fetch --mm2` (downloads nothing once
 * the cache has it). */
static void mm2_libs(char *buf, size_t size) {
	const char *src = getenv("KM_TEST_SRCDIR");
	char cmd[1200], line[1024];
	FILE *fp;
	int found = 0;

	if (!src || !*src || strchr(src, '\''))
		fail_msg("KM_TEST_SRCDIR is not set (run the test through make) or holds a quote");
	snprintf(cmd, sizeof(cmd), "'%s/tests/kafka/testbed' fetch --mm2 2>&1", src);
	if (!(fp = popen(cmd, "r")))
		fail_msg("popen %s: %s", cmd, strerror(errno));
	while (fgets(line, sizeof(line), fp)) {
		if (!strncmp(line, "mm2_libs=", 9)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, size, "%s", line + 9);
			found = 1;
		} else {
			ktest_note("testbed fetch --mm2: %s", line);
		}
	}
	if (pclose(fp) != 0 || !found)
		fail_msg("`testbed fetch --mm2` gave no class path for MirrorMaker 2 (see above)");
}

/* The last lines of MM2's log, for a failure message. */
static void mm2_log_tail(const mm2_t *m) {
	char cmd[800];

	snprintf(cmd, sizeof(cmd),
	         "{ grep -m 20 ' ERROR ' '%s'; tail -n 20 '%s'; } | sed 's/^/# mm2: /'", m->log,
	         m->log);
	fflush(stdout);
	if (system(cmd) == -1)
		ktest_note("cannot show %s", m->log);
}

/* Writes the text @p fmt formats into the file @p path. */
static void write_text(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void write_text(const char *path, const char *fmt, ...) {
	FILE *fp = fopen(path, "w");
	va_list ap;

	if (!fp)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(fp), 0);
}

/* Writes MM2's properties (@p body after the clusters) and logging config
 * into a directory of their own and starts MM2 on them, its log in
 * m->log. */
static void mm2_start(mm2_t *m, const char *src, const char *dst, const char *body) {
	char libs[1024], cp[1100], l4j[300], l4j2[300], out[300], o1[340], o2[340];
	FILE *fp;

	memset(m, 0, sizeof(*m));
	m->pid = -1;
	mm2_libs(libs, sizeof(libs));
	snprintf(m->dir, sizeof(m->dir), "%s/ktest-mm2-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(m->dir))
		fail_msg("mkdtemp: %s", strerror(errno));
	snprintf(m->props, sizeof(m->props), "%s/mm2.properties", m->dir);
	snprintf(m->log, sizeof(m->log), "%s/mm2.log", m->dir);
	snprintf(out, sizeof(out), "%s/mm2.out", m->dir);
	assert_non_null(fp = fopen(m->props, "w"));
	fprintf(fp,
	        "clusters = %s, %s\n"
	        "%s.bootstrap.servers = %s\n"
	        "%s.bootstrap.servers = %s\n"
	        "%s->%s.enabled = true\n"
	        "%s->%s.enabled = false\n"
	        /* no heartbeats: no herder for the way back either */
	        "emit.heartbeats.enabled = false\n"
	        "heartbeats.replication.enabled = false\n"
	        "sync.topic.acls.enabled = false\n"
	        "sync.group.offsets.enabled = false\n"
	        "emit.checkpoints.interval.seconds = 1\n"
	        "refresh.topics.interval.seconds = 1\n"
	        "refresh.groups.interval.seconds = 1\n"
	        "tasks.max = 1\n"
	        /* single-broker clusters */
	        "replication.factor = 1\n"
	        "offset-syncs.topic.replication.factor = 1\n"
	        "checkpoints.topic.replication.factor = 1\n"
	        "heartbeats.topic.replication.factor = 1\n"
	        "config.storage.replication.factor = 1\n"
	        "offset.storage.replication.factor = 1\n"
	        "status.storage.replication.factor = 1\n"
	        /* Connect's offset flush sends the delayed offset syncs */
	        "%s.offset.flush.interval.ms = 500\n"
	        "%s",
	        src, dst, src, ktest_bootstrap("a"), dst, ktest_bootstrap("b"), src, dst, dst, src,
	        dst, body);
	assert_int_equal(fclose(fp), 0);
	/* 3.x logs through reload4j, 4.x through log4j2: both configs given,
	 * each reads its own */
	snprintf(l4j, sizeof(l4j), "%s/log4j.properties", m->dir);
	write_text(l4j,
	           "log4j.rootLogger=INFO, file\n"
	           "log4j.appender.file=org.apache.log4j.FileAppender\n"
	           "log4j.appender.file.File=%s\n"
	           "log4j.appender.file.layout=org.apache.log4j.PatternLayout\n"
	           "log4j.appender.file.layout.ConversionPattern=[%%d] %%p %%m (%%c)%%n\n",
	           m->log);
	snprintf(l4j2, sizeof(l4j2), "%s/log4j2.properties", m->dir);
	write_text(l4j2,
	           "appender.file.type=File\n"
	           "appender.file.name=file\n"
	           "appender.file.fileName=%s\n"
	           "appender.file.layout.type=PatternLayout\n"
	           "appender.file.layout.pattern=[%%d] %%p %%m (%%c)%%n\n"
	           "rootLogger.level=INFO\n"
	           "rootLogger.appenderRef.file.ref=file\n",
	           m->log);
	snprintf(cp, sizeof(cp), "%s/*", libs);
	snprintf(o1, sizeof(o1), "-Dlog4j.configuration=file:%s", l4j);
	snprintf(o2, sizeof(o2), "-Dlog4j2.configurationFile=%s", l4j2);
	m->pid = fork();
	assert_true(m->pid >= 0);
	if (m->pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		/* a test that dies leaves no MM2 behind */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		/* a short-lived JVM on a small machine: C1 only starts faster */
		execlp("java", "java", "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC",
		       "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true", o1, o2, "-cp", cp,
		       "org.apache.kafka.connect.mirror.MirrorMaker", m->props, (char *)NULL);
		_exit(127);
	}
	ktest_note("MirrorMaker 2 started (pid %d), log %s", (int)m->pid, m->log);
}

/* Fails the test, with MM2's log, if MM2 exited. */
static void mm2_alive(mm2_t *m) {
	int st;

	if (m->pid > 0 && waitpid(m->pid, &st, WNOHANG) == m->pid) {
		m->pid = -1;
		mm2_log_tail(m);
		fail_msg("MirrorMaker 2 exited (status %d, signal %d) before the test was done",
		         WIFEXITED(st) ? WEXITSTATUS(st) : -1, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	}
}

/* SIGTERM (its shutdown hook stops the connectors), and waits at most
 * @p timeout_ms for the exit; then SIGKILL. Returns the exit status, or
 * 128+signal; -1 when it was not running. */
static int mm2_stop(mm2_t *m, int timeout_ms) {
	int64_t deadline = ktest_now_ms() + timeout_ms;
	int st = 0;

	if (m->pid <= 0)
		return -1;
	kill(m->pid, SIGTERM);
	while (waitpid(m->pid, &st, WNOHANG) != m->pid) {
		if (ktest_now_ms() > deadline) {
			ktest_note("MirrorMaker 2 did not exit within %d ms of SIGTERM: SIGKILL",
			           timeout_ms);
			kill(m->pid, SIGKILL);
			waitpid(m->pid, &st, 0);
			break;
		}
		ktest_pause();
	}
	m->pid = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void mm2_cleanup(mm2_t *m) {
	char cmd[300];

	if (!m->dir[0] || getenv("KTEST_KEEP"))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", m->dir);
	if (system(cmd) != 0)
		ktest_note("cannot remove %s", m->dir);
	m->dir[0] = '\0';
}

/* The daemon's teardown, and MM2's when a test failed with it running. */
static int teardown(void **state) {
	if (the_mm2.pid > 0) {
		mm2_log_tail(&the_mm2);
		mm2_stop(&the_mm2, 5000);
	}
	mm2_cleanup(&the_mm2);
	return ktest_daemon_teardown(state);
}

/* ---- MM2's topics, read back ------------------------------------------- */

/* Cluster aliases of this run only: "<p><pid>x<n>". */
static const char *alias(char *buf, size_t size, const char *p) {
	static int n;

	snprintf(buf, size, "%s%dx%d", p, (int)getpid(), ++n);
	return buf;
}

/* What the checkpoints topic @p topic on b says of (@p group, @p mirror,
 * 0) in its records at offsets >= @p from: the number of them, the last
 * one's offsets, the least target offset. Every record must decode. */
typedef struct ckpt_seen {
	size_t n;
	int64_t up, down, min_down;
	int64_t end; /* the topic's high watermark */
} ckpt_seen_t;

static ckpt_seen_t ckpt_read(const char *topic, const char *group, const char *mirror,
                             int64_t from) {
	rd_kafka_t *b = ktest_producer("b", NULL);
	ckpt_seen_t cs = {0, -1, -1, -1, 0};
	ktest_rec_t *r;
	size_t n = 0;

	if (ktest_partitions(b, topic) < 0) {
		ktest_destroy(b);
		return cs;
	}
	ktest_destroy(b);
	r = ktest_read_partition("b", topic, 0, &n);
	for (size_t i = 0; i < n; i++) {
		km_mm2_checkpoint_t c;
		char why[256];
		cs.end = r[i].offset + 1;
		if (km_mm2_checkpoint_key_decode(&c, r[i].key, r[i].key_len, why, sizeof(why)) ||
		    km_mm2_checkpoint_value_decode(&c, r[i].value, r[i].value_len, why,
		                                   sizeof(why)))
			fail_msg("%s at offset %lld is not a checkpoint: %s", topic,
			         (long long)r[i].offset, why);
		if (r[i].offset < from || c.partition != 0 || c.group.len != strlen(group) ||
		    memcmp(c.group.str, group, c.group.len) || c.topic.len != strlen(mirror) ||
		    memcmp(c.topic.str, mirror, c.topic.len))
			continue;
		cs.n++;
		cs.up = c.upstream;
		cs.down = c.downstream;
		if (cs.min_down < 0 || c.downstream < cs.min_down)
			cs.min_down = c.downstream;
	}
	ktest_recs_free(r, n);
	return cs;
}

/* The offset syncs of @p topic [0] in @p syncs on a; records keyed
 * "junk" are skipped, every other one must decode. */
static size_t syncs_read(const char *syncs, const char *topic) {
	rd_kafka_t *a = ktest_producer("a", NULL);
	size_t n = 0, mine = 0;
	ktest_rec_t *r;

	if (ktest_partitions(a, syncs) < 0) {
		ktest_destroy(a);
		return 0;
	}
	ktest_destroy(a);
	r = ktest_read_partition("a", syncs, 0, &n);
	for (size_t i = 0; i < n; i++) {
		km_mm2_offset_sync_t o;
		char why[256];
		if (r[i].key_len == 4 && !memcmp(r[i].key, "junk", 4))
			continue;
		if (km_mm2_offset_sync_key_decode(&o, r[i].key, r[i].key_len, why, sizeof(why)) ||
		    km_mm2_offset_sync_value_decode(&o, r[i].value, r[i].value_len, why,
		                                    sizeof(why)))
			fail_msg("%s at offset %lld is not an offset sync: %s", syncs,
			         (long long)r[i].offset, why);
		mine += o.topic.len == strlen(topic) && !memcmp(o.topic.str, topic, o.topic.len) &&
		        o.partition == 0;
	}
	ktest_recs_free(r, n);
	return mine;
}

/* Waits until the last checkpoint of (@p group, @p mirror, 0) from @p from
 * on has upstream @p up and a target offset >= @p min_down; returns it. */
static ckpt_seen_t wait_ckpt(const char *topic, const char *group, const char *mirror, int64_t from,
                             int64_t up, int64_t min_down) {
	int64_t deadline = ktest_now_ms() + WAIT_MS;

	for (;;) {
		ckpt_seen_t cs = ckpt_read(topic, group, mirror, from);
		if (cs.n && cs.up == up && cs.down >= min_down)
			return cs;
		if (ktest_now_ms() > deadline)
			fail_msg(
			    "no checkpoint of %s %s [0] at %lld to %lld or later in %s within %d "
			    "ms (last: %lld -> %lld)",
			    group, mirror, (long long)up, (long long)min_down, topic, WAIT_MS,
			    (long long)cs.up, (long long)cs.down);
		ktest_pause();
	}
}

/* A number @p key in the "checkpoints" object of @p flow's status; -1 when
 * absent. */
static int64_t ckpt_status(ktest_daemon_t *d, const char *flow, const char *key) {
	char *st = ktest_status_flow(d, flow), *p, pat[64];
	int64_t v = -1;

	assert_non_null(st);
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(st, "\"checkpoints\":{")) && (p = strstr(p, pat)))
		v = atoll(p + strlen(pat));
	free(st);
	return v;
}

/* Waits until ckpt_status(@p key) >= @p min (the status file is written
 * every so often); returns it. */
static int64_t wait_ckpt_status(ktest_daemon_t *d, const char *flow, const char *key, int64_t min) {
	int64_t deadline = ktest_now_ms() + WAIT_MS, v;

	while ((v = ckpt_status(d, flow, key)) < min) {
		if (ktest_now_ms() > deadline)
			fail_msg(
			    "status of flow %s: checkpoints.%s is %lld, not %lld or more, after "
			    "%d ms",
			    flow, key, (long long)v, (long long)min, WAIT_MS);
		ktest_pause();
	}
	return v;
}

/* The numbers of kmirror's "read N checkpoint(s) ... the offset syncs of M
 * partition(s)" line, once it is logged. */
static void wait_read_back(ktest_daemon_t *d, const char *flow, size_t *ckpts, size_t *parts) {
	char pre[160], *log, *p;
	unsigned long n = 0, m = 0;

	snprintf(pre, sizeof(pre), "flow %s: read ", flow);
	ktest_log_wait(d, pre, WAIT_MS);
	assert_non_null(log = ktest_log_text(d));
	p = strstr(log, pre);
	assert_non_null(p);
	p[strcspn(p, "\n")] = '\0';
	ktest_note("%s", p);
	if (sscanf(p + strlen(pre),
	           "%lu checkpoint(s) from %*s on %*s and the offset syncs of "
	           "%lu partition(s)",
	           &n, &m) != 2)
		fail_msg("cannot read the counts of: %s", p);
	free(log);
	*ckpts = n;
	*parts = m;
}

/* The target offset of the last copy, on b, of the record keyed @p key. */
static int64_t last_copy_of(const char *mirror, const char *key) {
	size_t n = 0;
	ktest_rec_t *t = ktest_read_partition("b", mirror, 0, &n);
	int64_t at = -1;

	for (size_t i = 0; i < n; i++)
		if (ktest_bytes_equal(t[i].key, t[i].key_len, key, strlen(key)))
			at = t[i].offset;
	ktest_recs_free(t, n);
	return at;
}

/* Resuming at @p down on b after committing @p committed on a is exact. */
static void assert_failover(const char *topic, const char *mirror, int64_t committed,
                            int64_t down) {
	size_t ns = 0, nt = 0;
	ktest_rec_t *s = ktest_read_partition("a", topic, 0, &ns);
	ktest_rec_t *t = ktest_read_partition("b", mirror, 0, &nt);

	ktest_note("%s [0]: group at %lld resumes at %lld on the target", topic,
	           (long long)committed, (long long)down);
	ktest_assert_resumes_exactly(topic, s, ns, t, nt, 0, committed, down, NULL);
	ktest_recs_free(s, ns);
	ktest_recs_free(t, nt);
}

/* ---- the tests --------------------------------------------------------- */

/* The names of one test: clusters of its own (a is SRC, b is DST), so
 * MM2's internal topics are its own too. */
typedef struct names {
	char src[64], dst[64], topic[128], mirror[200], group[128], ckpts[128], syncs[128];
} names_t;

/* Names for a test, and its topic @p prefix-... on a with @p records
 * records keyed k-0, k-1, ... */
static void names_make(names_t *n, const char *prefix, int records) {
	rd_kafka_t *a = ktest_producer("a", NULL);
	char g[64];

	alias(n->src, sizeof(n->src), "src");
	alias(n->dst, sizeof(n->dst), "dst");
	ktest_topic_name(n->topic, sizeof(n->topic), prefix);
	snprintf(g, sizeof(g), "%sg", prefix);
	ktest_topic_name(n->group, sizeof(n->group), g);
	snprintf(n->mirror, sizeof(n->mirror), "%s.%s", n->src, n->topic);
	snprintf(n->ckpts, sizeof(n->ckpts), "%s.checkpoints.internal", n->src);
	snprintf(n->syncs, sizeof(n->syncs), "mm2-offset-syncs.%s.internal", n->dst);
	ktest_create_topic(a, n->topic, 1, NULL);
	ktest_destroy(a);
	ktest_produce_seq("a", n->topic, 0, "k", "v", 0, records);
}

/* MM2 first, then kmirror on the same flow. MM2 copies 100 records to
 * mirror offsets 0..99 and checkpoints the group at 60; kmirror, with no
 * progress of its own, copies the topic again from its start after them
 * (mirror offsets 100..199), then 50 records more. Its checkpoints are
 * never behind MM2's, and each resumes on kmirror's copy exactly: a
 * consumer there gets no record of MM2's copy again. */
static void test_mm2_then_kmirror(void **state) {
	names_t n;
	char body[512], key[32];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	int64_t deadline, t0 = ktest_now_ms(), mm2_copied, down;
	ckpt_seen_t mm2_ck, cs;
	size_t nck = 0, nparts = 0;
	int st;

	(void)state;
	names_make(&n, "mmh", 100);
	/* before MM2 starts: its checkpoint connector lists the groups then */
	ktest_commit("a", n.group, n.topic, 0, 60);
	/* MM2's two topics made first, as MM2 makes them: nothing then hangs
	 * on which of its connectors starts first (one run under load saw no
	 * checkpoint from MM2 within 90 s without this) */
	ktest_create_topic(a, n.syncs, 1, "cleanup.policy", "compact", NULL);
	ktest_create_topic(b, n.ckpts, 1, "cleanup.policy", "compact", NULL);

	snprintf(body, sizeof(body),
	         "topics = %s\n"
	         "groups = %s\n"
	         "offset.lag.max = 10\n",
	         n.topic, n.group);
	mm2_start(&the_mm2, n.src, n.dst, body);
	deadline = ktest_now_ms() + WAIT_MS;
	for (;;) {
		int copied, synced;
		mm2_alive(&the_mm2);
		copied = ktest_partitions(b, n.mirror) == 1 && ktest_count(b, n.mirror) >= 100;
		synced = copied && syncs_read(n.syncs, n.topic) >= 1;
		mm2_ck = ckpt_read(n.ckpts, n.group, n.mirror, 0);
		if (synced && mm2_ck.n && mm2_ck.up == 60)
			break;
		if (ktest_now_ms() > deadline && copied && synced && !mm2_ck.n) {
			/* MM2 itself, before kmirror runs: its checkpoint task now
			 * and then writes nothing for minutes (seen under load on
			 * this machine), which says nothing of kmirror */
			mm2_log_tail(&the_mm2);
			mm2_stop(&the_mm2, 60000);
			ktest_note(
			    "MirrorMaker 2 copied and synced but wrote no checkpoint within %d "
			    "ms: nothing to take over from",
			    WAIT_MS);
			skip();
		}
		if (ktest_now_ms() > deadline) {
			mm2_log_tail(&the_mm2);
			fail_msg(
			    "MirrorMaker 2 did not copy %s, write offset syncs and a checkpoint "
			    "of %s within %d ms (copied %d, synced %d, checkpoints %zu)",
			    n.topic, n.group, WAIT_MS, copied, synced, mm2_ck.n);
		}
		ktest_pause();
	}
	ktest_note("MirrorMaker 2 copied and checkpointed after %lld ms",
	           (long long)(ktest_now_ms() - t0));
	st = mm2_stop(&the_mm2, 60000);
	ktest_note("MirrorMaker 2 exited with status %d", st);
	assert_true(st == 0 || st == 143);
	/* what MM2 left: kmirror's records come after */
	mm2_ck = ckpt_read(n.ckpts, n.group, n.mirror, 0);
	assert_true(mm2_ck.n >= 1);
	assert_int_equal(mm2_ck.up, 60);
	/* MM2's rule never skips a record: at most the group's offset */
	assert_true(mm2_ck.down >= 0 && mm2_ck.down <= 60);
	mm2_copied = ktest_high_watermark(b, n.mirror, 0);
	assert_true(mm2_copied >= 100);
	ktest_note("MM2: %s [0] holds %lld records, checkpoint 60 -> %lld", n.mirror,
	           (long long)mm2_copied, (long long)mm2_ck.down);

	ktest_flow_start_as(d, "mmh", n.src, n.dst, n.topic, FAST, WAIT_MS);
	wait_read_back(d, "mmh", &nck, &nparts);
	/* these topics are this test's: MM2's one checkpoint and the syncs of
	 * the one partition */
	assert_int_equal(nck, 1);
	assert_int_equal(nparts, 1);
	ktest_status_wait_caught_up(d, "mmh", a, n.topic, 1, WAIT_MS);
	/* kmirror's copy of the record at 60, after MM2's copy */
	down = last_copy_of(n.mirror, "k-60");
	assert_true(down >= mm2_copied);
	cs = wait_ckpt(n.ckpts, n.group, n.mirror, mm2_ck.end, 60, down);
	assert_int_equal(cs.down, down);
	assert_failover(n.topic, n.mirror, 60, cs.down);
	/* none of kmirror's checkpoints is behind MM2's, nor MM2's again (what
	 * MM2's syncs translate to, before kmirror copied anything) */
	ktest_note("kmirror wrote %zu checkpoint(s) of %s, the least at %lld", cs.n, n.group,
	           (long long)cs.min_down);
	assert_true(cs.min_down > mm2_ck.down);
	/* the status shows the checkpoint written: it is the one after the
	 * read-back */
	wait_ckpt_status(d, "mmh", "written", 1);
	assert_int_equal(ckpt_status(d, "mmh", "skipped_records"), 0);

	/* the group moves on to records only kmirror copied */
	ktest_produce_seq("a", n.topic, 0, "k", "v", 100, 50);
	ktest_status_wait_caught_up(d, "mmh", a, n.topic, 1, WAIT_MS);
	ktest_commit("a", n.group, n.topic, 0, 120);
	snprintf(key, sizeof(key), "k-%d", 120);
	down = last_copy_of(n.mirror, key);
	assert_true(down >= mm2_copied + 100);
	cs = wait_ckpt(n.ckpts, n.group, n.mirror, mm2_ck.end, 120, down);
	assert_int_equal(cs.down, down);
	assert_failover(n.topic, n.mirror, 120, cs.down);
	assert_true(cs.min_down > mm2_ck.down);
	assert_int_equal(ckpt_status(d, "mmh", "skipped_records"), 0);
	ktest_daemon_finish(d);
	mm2_cleanup(&the_mm2);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* A record of the offset-syncs topic that is not an offset sync: skipped,
 * counted, logged; the flow still checkpoints. */
static void test_junk_offset_sync(void **state) {
	names_t n;
	rd_kafka_t *a = ktest_producer("a", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	size_t nck = 0, nparts = 0;
	ckpt_seen_t cs;

	(void)state;
	names_make(&n, "mmj", 30);
	ktest_create_topic(a, n.syncs, 1, "cleanup.policy", "compact", NULL);
	assert_int_equal(rd_kafka_producev(a, RD_KAFKA_V_TOPIC(n.syncs), RD_KAFKA_V_PARTITION(0),
	                                   RD_KAFKA_V_KEY("junk", 4), RD_KAFKA_V_VALUE("x", 1),
	                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	                                   RD_KAFKA_V_END),
	                 0);
	ktest_flush(a);
	ktest_commit("a", n.group, n.topic, 0, 10);
	ktest_flow_start_as(d, "mmj", n.src, n.dst, n.topic, FAST, WAIT_MS);
	wait_read_back(d, "mmj", &nck, &nparts);
	assert_int_equal(nck, 0);
	ktest_log_wait(d, "are not offset syncs and were skipped", WAIT_MS);
	assert_int_equal(ktest_log_lines(d, "warning", "are not offset syncs and were skipped"), 1);
	ktest_status_wait_caught_up(d, "mmj", a, n.topic, 1, WAIT_MS);
	cs = wait_ckpt(n.ckpts, n.group, n.mirror, 0, 10, 10);
	assert_int_equal(cs.down, 10);
	assert_failover(n.topic, n.mirror, 10, cs.down);
	assert_int_equal(wait_ckpt_status(d, "mmj", "skipped_records", 1), 1);
	/* kmirror's own syncs come after the junk */
	{
		int64_t deadline = ktest_now_ms() + WAIT_MS;
		while (syncs_read(n.syncs, n.topic) < 1) {
			if (ktest_now_ms() > deadline)
				fail_msg("no offset sync of %s within %d ms", n.topic, WAIT_MS);
			ktest_pause();
		}
	}
	ktest_daemon_finish(d);
	ktest_destroy(a);
}

/* Produces "<tag>-0", "<tag>-1", ... to @p topic [0] on @p from, one
 * every half second at most, until @p to holds more than @p had records of
 * the topic: the flow from @p from, started at `latest`, took its position
 * (the probes before it were skipped, which is what `latest` means).
 * Returns how many were produced. */
static int probe(const char *from, const char *to, const char *topic, const char *tag,
                 int64_t had) {
	rd_kafka_t *rk = ktest_producer(to, NULL);
	int64_t deadline = ktest_now_ms() + WAIT_MS;
	int i = 0;

	while (ktest_count(rk, topic) <= had) {
		if (ktest_now_ms() > deadline)
			fail_msg("no record of %s made on %s reached %s within %d ms", topic, from,
			         to, WAIT_MS);
		ktest_produce_seq(from, topic, 0, "p", tag, i++, 1);
		for (int64_t t = ktest_now_ms() + 500; ktest_now_ms() < t;) {
			if (ktest_count(rk, topic) > had)
				break;
			ktest_pause();
		}
	}
	ktest_destroy(rk);
	return i;
}

/* The least i of the records "<tag>-<i>" of @p topic on @p cluster. */
static int first_of(const char *cluster, const char *topic, const char *tag) {
	size_t n, tag_len = 0;
	ktest_rec_t *r = ktest_read_all(cluster, topic, &n);
	int least = -1;

	for (size_t j = 0; j < n; j++) {
		char v[64];
		int i = ktest_tagged_index(&r[j], v, sizeof(v), &tag_len);
		if (i >= 0 && tag_len == strlen(tag) && !memcmp(v, tag, tag_len) &&
		    (least < 0 || i < least))
			least = i;
	}
	ktest_recs_free(r, n);
	if (least < 0)
		fail_msg("no record %s-* in %s on %s", tag, topic, cluster);
	return least;
}

/* MM2 copies a topic from a to b with the identity policy, so its copies
 * carry no provenance header, and stops. Then kmirror runs the pair
 * active/active (a -> b and b -> a, identity names) the way
 * docs/active-active.md says to switch: both flows start at `latest`. The
 * records MM2 copied do not cross back to a, nor does anything loop; the
 * records made on b before the switch are not copied (the price the docs
 * state); every record made after it is once on each cluster, with the ids
 * of where it came from. */
static void test_mm2_then_active_active(void **state) {
	char src[64], dst[64], pre[64], cl_a[80], cl_b[80], topic[128], body[512], ida[64], idb[64],
	    yaml[2048] = "";
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	static const char common[] =
	    "    emit.heartbeats: false\n    heartbeats.replication.enabled: false\n";
	static const char extra[] = "    policy: identity\n    start: latest\n";
	int64_t deadline;
	int pa, pb;

	(void)state;
	ktest_cluster_id("a", ida, sizeof(ida));
	ktest_cluster_id("b", idb, sizeof(idb));
	alias(src, sizeof(src), "src");
	alias(dst, sizeof(dst), "dst");
	ktest_topic_name(topic, sizeof(topic), "mmaa");
	ktest_create_topic(a, topic, 1, NULL);
	ktest_produce_seq("a", topic, 0, "k", "a", 0, 100);
	snprintf(body, sizeof(body),
	         "topics = %s\n"
	         "replication.policy.class = "
	         "org.apache.kafka.connect.mirror.IdentityReplicationPolicy\n"
	         "emit.checkpoints.enabled = false\n",
	         topic);
	mm2_start(&the_mm2, src, dst, body);
	deadline = ktest_now_ms() + WAIT_MS;
	while (ktest_partitions(b, topic) != 1 || ktest_count(b, topic) < 100) {
		mm2_alive(&the_mm2);
		if (ktest_now_ms() > deadline) {
			mm2_log_tail(&the_mm2);
			fail_msg("MirrorMaker 2 did not copy %s within %d ms", topic, WAIT_MS);
		}
		ktest_pause();
	}
	assert_true(mm2_stop(&the_mm2, 60000) != -1);
	assert_int_equal(ktest_count(b, topic), 100);
	/* made on b before the switch */
	ktest_produce_seq("b", topic, 0, "k", "b", 0, 20);

	alias(pre, sizeof(pre), "aa");
	snprintf(cl_a, sizeof(cl_a), "%sA", pre);
	snprintf(cl_b, sizeof(cl_b), "%sB", pre);
	ktest_flow_yaml(yaml, sizeof(yaml), "fwd", cl_a, cl_b, topic, common, extra);
	ktest_flow_yaml(yaml, sizeof(yaml), "back", cl_b, cl_a, topic, common, extra);
	ktest_start_aliased(d, pre, NULL, yaml);
	/* back first: once a record it copied is on a, it reads b past where
	 * fwd's copies of the "pa" probes land, so it sees and drops each */
	pb = probe("b", "a", topic, "pb", 100);
	pa = probe("a", "b", topic, "pa", 120 + pb);
	ktest_produce_seq("a", topic, 0, "k", "a2", 0, 50);
	ktest_produce_seq("b", topic, 0, "k", "b2", 0, 50);
	ktest_wait_count(a, topic, 100 + pa + 50 + 50 + (pb - first_of("a", topic, "pb")), WAIT_MS);
	ktest_status_wait_caught_up(d, "fwd", a, topic, 1, WAIT_MS);
	ktest_status_wait_caught_up(d, "back", b, topic, 1, WAIT_MS);
	{
		const char *const flows[] = {"fwd", "back"};
		ktest_let_flows_look(d, flows, 2, 3, WAIT_MS);
	}
	ktest_status_wait_caught_up(d, "fwd", a, topic, 1, WAIT_MS);
	ktest_status_wait_caught_up(d, "back", b, topic, 1, WAIT_MS);
	{
		const ktest_tagged_t on_a[] = {{"a", 100, NULL, 0},
		                               {"pa", pa, NULL, 0},
		                               {"a2", 50, NULL, 0},
		                               {"pb", pb, idb, first_of("a", topic, "pb")},
		                               {"b2", 50, idb, 0}},
		                     on_b[] = {{"a", 100, NULL, 0},
		                               {"b", 20, NULL, 0},
		                               {"pa", pa, ida, first_of("b", topic, "pa")},
		                               {"a2", 50, ida, 0},
		                               {"pb", pb, NULL, 0},
		                               {"b2", 50, NULL, 0}};
		ktest_assert_tagged_once("a", topic, KTEST_PROV_HEADER, on_a, 5);
		ktest_assert_tagged_once("b", topic, KTEST_PROV_HEADER, on_b, 6);
	}
	/* what MM2 copied reached back only as far as the flow that drops it */
	assert_int_equal(ktest_status_wait(d, "back", "provenance_dropped", 0, WAIT_MS),
	                 pa - first_of("b", topic, "pa") + 50);
	ktest_daemon_finish(d);
	mm2_cleanup(&the_mm2);
	ktest_destroy(a);
	ktest_destroy(b);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_mm2_then_kmirror, teardown),
	    cmocka_unit_test_teardown(test_junk_offset_sync, teardown),
	    cmocka_unit_test_teardown(test_mm2_then_active_active, teardown),
	};
	int failed;

	ktest_require_testbed("a", "b", NULL);
	ktest_tap_begin();
	failed = cmocka_run_group_tests_name("mm2_handover", tests, NULL, NULL);
	ktest_tap_end();
	return failed;
}
