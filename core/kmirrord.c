/* kmirrord: the kmirror replication daemon.
 *
 * The main thread loads the configuration, makes and starts the flows, then
 * waits for signals: SIGTERM/SIGINT stop every flow (records in flight are
 * acknowledged and progress stored first), SIGHUP reloads the
 * configuration and restarts only the flows whose configuration changed. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#ifdef HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "check.h"
#include "flow.h"
#include "config_model.h"
#include "log.h"
#include "plugin_host.h"
#include "rest.h"

#define KM_DEFAULT_CONFIG SYSCONFDIR "/kmirror/kmirror.yaml"
#define KM_DRAIN_MS       30000
#define KM_STATUS_LOG_MS  60000

/* One loaded configuration and the plugins it loaded. Flows borrow their
 * configuration from it, so it lives while any of its flows runs. */
typedef struct km_gen {
	km_config_t *conf;
	km_plugin_host_t *host;
	int users;
} km_gen_t;

typedef struct km_running {
	km_flow_t *flow;
	const km_flow_conf_t *fc;
	km_gen_t *gen;
} km_running_t;

/* Tells systemd (Type=notify) what the daemon is doing. */
static void notify(const char *state) {
#ifdef HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

static km_running_t *running;
static size_t running_cnt;
static const char *status_file;
static km_rest_t *rest;

/* Shows the running flows in the REST API; called before any flow it
 * showed is destroyed. */
static void rest_flows(const km_running_t *r, size_t n) {
	km_flow_t **list;
	size_t k = 0;

	if (!rest)
		return;
	list = calloc(n ? n : 1, sizeof(*list));
	for (size_t i = 0; list && i < n; i++)
		if (r[i].flow)
			list[k++] = r[i].flow;
	km_rest_set_flows(rest, list, k);
	free(list);
}

static int64_t now_ms(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* systemd's watchdog (WatchdogSec=): WATCHDOG=1 every quarter of the
 * interval while every flow thread comes round its loop in time
 * (km_flow_hung); a hung thread stops the pings and systemd restarts the
 * daemon. wd_ms 0: no watchdog asked for. */
static int64_t wd_ms, wd_last;
static int wd_said;

static void watchdog_init(void) {
#ifdef HAVE_SYSTEMD
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 1000) {
		wd_ms = (int64_t)(usec / 1000);
		atomic_store(&km_flow_stall_ms, wd_ms);
		km_info("systemd watchdog: %" PRId64 " ms; a flow thread late by that much "
		        "stops the pings",
		        wd_ms);
	}
#endif
}

static void watchdog(void) {
	char why[512];
	int64_t now;

	if (!wd_ms || (now = now_ms()) - wd_last < wd_ms / 4)
		return;
	for (size_t i = 0; i < running_cnt; i++) {
		if (!running[i].flow || !km_flow_hung(running[i].flow, now, why, sizeof(why)))
			continue;
		if (!wd_said)
			km_err("%s; no more watchdog pings: systemd restarts kmirrord", why);
		wd_said = 1;
		return;
	}
	notify("WATCHDOG=1");
	wd_last = now;
}

static void usage(FILE *fp) {
	fprintf(fp,
	        "Usage: kmirrord [-c FILE] [--check-config] [--status-file FILE]\n"
	        "Replicates Apache Kafka topics between clusters.\n"
	        "\n"
	        "  -c, --config FILE       configuration file (default %s)\n"
	        "      --check-config      check the configuration and the plugins it names, "
	        "then exit\n"
	        "  -s, --status-file FILE  write the status of every flow to FILE (JSON) every "
	        "second\n"
	        "  -V, --version           print the version and exit\n"
	        "  -h, --help              print this help and exit\n"
	        "\n"
	        "Signals: SIGTERM and SIGINT stop after the records in flight are acknowledged;\n"
	        "SIGHUP reloads the configuration.\n",
	        KM_DEFAULT_CONFIG);
}

/* systemctl status shows it. */
static void status_notify(void) {
	char s[64];

	snprintf(s, sizeof(s), "STATUS=%zu flow(s) running", running_cnt);
	notify(s);
}

static km_gen_t *gen_load(const char *path, char *errstr, size_t errstr_size) {
	km_gen_t *g = calloc(1, sizeof(*g));

	if (!g) {
		snprintf(errstr, errstr_size, "out of memory");
		return NULL;
	}
	if (!(g->conf = km_config_load(path, errstr, errstr_size))) {
		free(g);
		return NULL;
	}
	if (!(g->host = km_plugin_host_new(g->conf->plugin_dirs, g->conf->plugin_dir_cnt))) {
		snprintf(errstr, errstr_size, "out of memory");
		km_config_destroy(g->conf);
		free(g);
		return NULL;
	}
	return g;
}

static void gen_release(km_gen_t *g) {
	if (g && --g->users <= 0) {
		km_plugin_host_destroy(g->host);
		km_config_destroy(g->conf);
		free(g);
	}
}

static int flow_enabled(const km_flow_conf_t *fc) {
	return km_params_bool(fc->params, "enabled");
}

/* Makes every enabled flow of @p g. On error, nothing is left made. */
static km_running_t *make_flows(km_gen_t *g, size_t *cnt, char *errstr, size_t errstr_size) {
	km_running_t *r = calloc(g->conf->flow_cnt ? g->conf->flow_cnt : 1, sizeof(*r));
	size_t n = 0;

	if (!r) {
		snprintf(errstr, errstr_size, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < g->conf->flow_cnt; i++) {
		const km_flow_conf_t *fc = &g->conf->flows[i];
		if (!flow_enabled(fc))
			continue;
		if (!(r[n].flow = km_flow_new(fc, g->host, errstr, errstr_size))) {
			while (n--)
				km_flow_destroy(r[n].flow);
			free(r);
			return NULL;
		}
		r[n].fc = fc;
		r[n].gen = g;
		n++;
	}
	*cnt = n;
	return r;
}

static void write_status(const char *path) {
	char tmp[4096];
	FILE *fp;

	if (!path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(fp = fopen(tmp, "w"))) {
		km_warn("status file %s: %s", tmp, strerror(errno));
		return;
	}
	fputs("{\"flows\":[", fp);
	for (size_t i = 0; i < running_cnt; i++) {
		if (i)
			fputc(',', fp);
		km_flow_status_json(running[i].flow, fp);
	}
	fputs("]}\n", fp);
	if (fclose(fp) || rename(tmp, path))
		km_warn("status file %s: %s", path, strerror(errno));
}

/* Waits until every flow asked to stop in @p r (those with `stopping`)
 * finished draining, writing the status file every second meanwhile, so
 * that it shows them draining. */
static void wait_drained(const km_running_t *r, size_t n, const char *const *stopping) {
	for (;;) {
		int busy = 0;
		for (size_t i = 0; i < n; i++)
			if (stopping[i] && r[i].flow && !km_flow_stopped(r[i].flow))
				busy = 1;
		if (!busy)
			return;
		write_status(status_file);
		watchdog();
		for (int t = 0; t < 10 && busy; t++) {
			struct timespec ts = {.tv_sec = 0, .tv_nsec = 100000000};
			nanosleep(&ts, NULL);
			busy = 0;
			for (size_t i = 0; i < n; i++)
				if (stopping[i] && r[i].flow && !km_flow_stopped(r[i].flow))
					busy = 1;
		}
	}
}

static km_err_t stop_flow(km_running_t *r) {
	km_err_t err;

	km_flow_stop(r->flow, KM_DRAIN_MS);
	err = km_flow_join(r->flow);
	km_flow_status_log(r->flow);
	km_flow_destroy(r->flow);
	gen_release(r->gen);
	return err;
}

/* Two flows are the same when their YAML and their clusters' YAML are, and
 * the files their plugins read (scripts) did not change. */
static int same_flow(const km_running_t *a, const km_running_t *b) {
	return km_node_equal(a->fc->node, b->fc->node) &&
	       km_node_equal(a->fc->source->node, b->fc->source->node) &&
	       km_node_equal(a->fc->target->node, b->fc->target->node) &&
	       km_flow_files_same(a->flow, b->flow);
}

/* Reloads @p path; fills @p why when it keeps the running configuration. */
static int reload(const char *path, char *why, size_t why_size) {
	char errstr[1900];
	km_running_t *next = NULL, *made, **keep;
	size_t next_cnt = 0, made_cnt;
	const char **stopping;
	km_gen_t *g;

	km_notice("SIGHUP: reloading %s", path);
	notify("RELOADING=1");
	if (!(g = gen_load(path, errstr, sizeof(errstr)))) {
		snprintf(why, why_size, "reload failed, keeping the running configuration: %s",
		         errstr);
		km_err("%s", why);
		notify("READY=1");
		return -1;
	}
	if (!(made = make_flows(g, &made_cnt, errstr, sizeof(errstr)))) {
		snprintf(why, why_size, "reload failed, keeping the running configuration: %s",
		         errstr);
		km_err("%s", why);
		gen_release(g);
		notify("READY=1");
		return -1;
	}
	next = calloc(made_cnt ? made_cnt : 1, sizeof(*next));
	stopping = calloc(running_cnt ? running_cnt : 1, sizeof(*stopping));
	keep = calloc(made_cnt ? made_cnt : 1, sizeof(*keep));
	if (!next || !stopping || !keep) {
		snprintf(why, why_size,
		         "reload failed, keeping the running configuration: out of "
		         "memory");
		km_err("%s", why);
		for (size_t i = 0; i < made_cnt; i++)
			km_flow_destroy(made[i].flow);
		free(made);
		free(next);
		free(stopping);
		free(keep);
		gen_release(g);
		notify("READY=1");
		return -1;
	}
	/* What stays, what goes: flows whose configuration changed and flows
	 * gone from it all drain at once, the status file showing them. */
	for (size_t j = 0; j < running_cnt; j++) {
		stopping[j] = "is gone from the configuration: stopping it";
		for (size_t i = 0; i < made_cnt; i++) {
			if (strcmp(km_flow_name(running[j].flow), km_flow_name(made[i].flow)))
				continue;
			keep[i] = same_flow(&running[j], &made[i]) ? &running[j] : NULL;
			stopping[j] = keep[i] ? NULL : "changed: restarting it";
		}
		if (stopping[j]) {
			km_notice("flow %s %s", km_flow_name(running[j].flow), stopping[j]);
			km_flow_stop(running[j].flow, KM_DRAIN_MS);
		}
	}
	wait_drained(running, running_cnt, stopping);
	{ /* the REST API lets go of the flows about to go */
		km_running_t *still = calloc(running_cnt ? running_cnt : 1, sizeof(*still));
		for (size_t j = 0; still && j < running_cnt; j++)
			if (!stopping[j])
				still[j] = running[j];
		rest_flows(still ? still : running, still ? running_cnt : 0);
		free(still);
	}
	for (size_t j = 0; j < running_cnt; j++)
		if (stopping[j]) {
			stop_flow(&running[j]);
			running[j].flow = NULL;
		}
	for (size_t i = 0; i < made_cnt; i++) {
		if (keep[i]) {
			/* unchanged: keep it running on its own generation */
			km_flow_destroy(made[i].flow);
			next[next_cnt++] = *keep[i];
			continue;
		}
		if (km_flow_start(made[i].flow, errstr, sizeof(errstr)) != KM_OK) {
			km_err("%s", errstr);
			km_flow_destroy(made[i].flow);
			continue;
		}
		g->users++;
		next[next_cnt++] = made[i];
	}
	free(stopping);
	free(keep);
	free(made);
	free(running);
	running = next;
	running_cnt = next_cnt;
	rest_flows(running, running_cnt);
	km_rest_set_config(rest, &g->conf->rest, g->conf->root);
	km_log_level =
	    (km_log_level_t)km_log_level_parse(km_params_str(g->conf->params, "log_level"));
	/* No flow of the new generation runs: nothing holds it. */
	g->users++;
	gen_release(g);
	km_notice("reload done: %zu flow(s) running", running_cnt);
	notify("READY=1");
	return 0;
}

/* Which malloc serves the process, for --version: "jemalloc X.Y.Z" only
 * when jemalloc counts a block that malloc() itself handed out, so it is
 * the one in use and not merely linked; else "system". */
static const char *malloc_name(char *buf, size_t size) {
#ifdef HAVE_JEMALLOC
	const char *version;
	uint64_t before, after;
	size_t vlen = sizeof(version), ulen = sizeof(before);
	char *volatile block;

	if (!mallctl("version", &version, &vlen, NULL, 0) &&
	    !mallctl("thread.allocated", &before, &ulen, NULL, 0) && (block = malloc(4096))) {
		block[0] = 1;
		ulen = sizeof(after);
		if (!mallctl("thread.allocated", &after, &ulen, NULL, 0) &&
		    after - before >= 4096) {
			free(block);
			/* "5.3.0-0-g<commit>": the release */
			snprintf(buf, size, "jemalloc %.*s", (int)strcspn(version, "-"), version);
			return buf;
		}
		free(block);
	}
#endif
	(void)buf;
	(void)size;
	return "system";
}

int main(int argc, char **argv) {
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check-config", no_argument, NULL, 'C'},
	    {"status-file", required_argument, NULL, 's'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = KM_DEFAULT_CONFIG;
	char errstr[2048];
	int c, check_only = 0, ret = EXIT_SUCCESS;
	int64_t last_status_log;
	sigset_t sigs;
	km_gen_t *g;

	while ((c = getopt_long(argc, argv, "c:s:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			check_only = 1;
			break;
		case 's':
			status_file = optarg;
			break;
		case 'V': {
			char mbuf[64];
			printf("kmirrord %s (librdkafka %s, plugin ABI %d.%d, malloc: %s)\n",
			       PACKAGE_VERSION, rd_kafka_version_str(), KM_PLUGIN_ABI_MAJOR,
			       KM_PLUGIN_ABI_MINOR, malloc_name(mbuf, sizeof(mbuf)));
			return EXIT_SUCCESS;
		}
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kmirrord: unexpected argument '%s' (see --help)\n", argv[optind]);
		return EXIT_FAILURE;
	}

	if (check_only) {
		size_t ncl, nfl;
		if (km_config_check(path, &ncl, &nfl, errstr, sizeof(errstr)) != KM_OK) {
			fprintf(stderr, "kmirrord: %s\n", errstr);
			return EXIT_FAILURE;
		}
		printf("%s: configuration OK (%zu cluster(s), %zu flow(s) enabled)\n", path, ncl,
		       nfl);
		return EXIT_SUCCESS;
	}
	if (!(g = gen_load(path, errstr, sizeof(errstr)))) {
		fprintf(stderr, "kmirrord: %s\n", errstr);
		return EXIT_FAILURE;
	}
	km_log_level =
	    (km_log_level_t)km_log_level_parse(km_params_str(g->conf->params, "log_level"));
	if (!(running = make_flows(g, &running_cnt, errstr, sizeof(errstr)))) {
		fprintf(stderr, "kmirrord: %s\n", errstr);
		gen_release(g);
		return EXIT_FAILURE;
	}
	/* Signals are taken by this thread only, with sigtimedwait. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	km_notice("kmirrord %s starting with %s: %zu flow(s)", PACKAGE_VERSION, path, running_cnt);
	/* after the signal mask: its threads inherit it */
	rest = km_rest_start(&g->conf->rest, g->conf->root, errstr, sizeof(errstr));
	if (!rest && *errstr) {
		fprintf(stderr, "kmirrord: %s\n", errstr);
		km_err("%s", errstr);
		for (size_t i = 0; i < running_cnt; i++)
			km_flow_destroy(running[i].flow);
		free(running);
		gen_release(g);
		return EXIT_FAILURE;
	}
	rest_flows(running, running_cnt);
	if (!running_cnt)
		km_notice("no flow is enabled in %s: nothing is replicated until one is (then "
		          "SIGHUP reloads)",
		          path);
	watchdog_init();
	/* Each flow holds the generation, and so does this function until the
	 * flows are started. */
	g->users = (int)running_cnt + 1;
	for (size_t i = 0; i < running_cnt; i++) {
		if (km_flow_start(running[i].flow, errstr, sizeof(errstr)) != KM_OK) {
			km_err("%s", errstr);
			ret = EXIT_FAILURE;
			gen_release(g);
			g = NULL;
			goto stop;
		}
	}
	gen_release(g);
	g = NULL;
	notify("READY=1");
	status_notify();

	last_status_log = now_ms();
	for (;;) {
		struct timespec ts = {.tv_sec = 1, .tv_nsec = 0};
		int sig = sigtimedwait(&sigs, NULL, &ts);

		if (sig == SIGTERM || sig == SIGINT) {
			km_notice("%s: stopping: waiting for the records in flight",
			          sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		}
		if (sig == SIGHUP) {
			char why[2000];
			km_rest_reload_begin(rest);
			km_rest_reloaded(rest, reload(path, why, sizeof(why)) ? why : NULL);
			status_notify();
		}
		watchdog();
		write_status(status_file);
		if (now_ms() - last_status_log >= KM_STATUS_LOG_MS) {
			for (size_t i = 0; i < running_cnt; i++)
				km_flow_status_log(running[i].flow);
			last_status_log = now_ms();
		}
	}
stop:
	notify("STOPPING=1");
	for (size_t i = 0; i < running_cnt; i++)
		km_flow_stop(running[i].flow, KM_DRAIN_MS);
	{
		const char **all = calloc(running_cnt ? running_cnt : 1, sizeof(*all));
		for (size_t i = 0; all && i < running_cnt; i++)
			all[i] = "stopping";
		if (all)
			wait_drained(running, running_cnt, all);
		free(all);
	}
	write_status(status_file);
	for (size_t i = 0; i < running_cnt; i++) {
		if (km_flow_join(running[i].flow) != KM_OK)
			ret = EXIT_FAILURE;
		km_flow_status_log(running[i].flow);
	}
	write_status(status_file);
	km_rest_stop(rest); /* before the flows it shows go */
	rest = NULL;
	for (size_t i = 0; i < running_cnt; i++) {
		km_flow_destroy(running[i].flow);
		gen_release(running[i].gen);
	}
	free(running);
	km_notice("kmirrord stopped");
	return ret;
}
