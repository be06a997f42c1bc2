/* kmirrorctl: the control tool for a running kmirrord. It talks to
 * kmirrord's REST API (docs/rest.md) over plain HTTP, or reads the status
 * file kmirrord --status-file writes, and checks configuration files.
 *
 * Exit status (kmirrorctl(1)): 0 done, 1 a runtime error (no such flow,
 * the daemon refused the request, an invalid configuration, a bad status
 * file), 2 a usage error, 3 kmirrord is not running or not reachable at the
 * URL, 4 the daemon refused the command's credentials (401, 403). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "config_model.h"
#include "http_get.h"
#include "log.h"
#include "yaml_tree.h"

#define EXIT_USAGE       2
#define EXIT_UNREACHABLE 3
#define EXIT_REFUSED     4
#define DEFAULT_CONFIG   SYSCONFDIR "/kmirror/kmirror.yaml"
#define DEFAULT_URL      "http://127.0.0.1:8085"

static void usage(FILE *fp) {
	fputs("Usage: kmirrorctl [OPTIONS] status [FLOW]\n"
	      "       kmirrorctl [OPTIONS] flows | topics [FLOW] | lag [FLOW] | reload\n"
	      "       kmirrorctl [OPTIONS] pause|resume|promote|failover FLOW TOPIC|--all\n"
	      "                  [--force] [--grant-write] [--no-wait] [--timeout SECONDS]\n"
	      "       kmirrorctl status --status-file FILE [FLOW] [--json]\n"
	      "       kmirrorctl validate FILE\n"
	      "       kmirrorctl --version | --help\n"
	      "\n"
	      "  status    the flows as a table; with FLOW, that flow's partitions\n"
	      "  flows     the flows as a table\n"
	      "  topics    each flow's (or FLOW's) topics: state, partitions, lag, last error\n"
	      "  lag       the lag of every partition, in records and ms\n"
	      "  reload    reloads kmirrord's configuration (as SIGHUP), waits for the result\n"
	      "  pause     stops copying into the mirror topic (TOPIC as on the source)\n"
	      "  resume    copies into it again from where it stopped; a STOPPED topic\n"
	      "            needs --force (docs/failover.md: failing back)\n"
	      "  promote   lets the mirror catch up with the source's end, syncs configs and\n"
	      "            group offsets a last time, then STOPPED: an ordinary topic\n"
	      "  failover  STOPPED at once (the source may be gone); group offsets on the\n"
	      "            target are clamped to the topic's end\n"
	      "  validate  checks a configuration file as kmirrord --check-config does\n"
	      "\n"
	      "Options:\n"
	      "  --url URL          kmirrord's REST API (default: from the configuration's\n"
	      "                     rest.listen, else " DEFAULT_URL ")\n"
	      "  -c, --config FILE  the configuration to read rest.listen and rest.token from\n"
	      "                     (default " DEFAULT_CONFIG ")\n"
	      "  --token TOKEN      the bearer token of commands (default: $KMIRROR_TOKEN,\n"
	      "                     else the configuration's rest.token)\n"
	      "  --json             print the API's JSON instead of a table\n"
	      "  --status-file FILE read kmirrord's status file instead of the API (status)\n"
	      "  --all              a command on every topic of FLOW\n"
	      "  --force            resume: also a STOPPED topic\n"
	      "  --grant-write      promote, failover: copy the source's WRITE ACLs of the\n"
	      "                     topic to the mirror topic\n"
	      "  --no-wait          promote, failover: return once the command is taken,\n"
	      "                     not when the topics are STOPPED\n"
	      "  --timeout SECONDS  promote, failover: the longest wait (default 600)\n"
	      "\n"
	      "Exit status: 0 done, 1 an error (no such flow, a refused request, an invalid\n"
	      "configuration, a command refused or not done in time), 2 a bad command\n"
	      "line, 3 kmirrord is not running at the URL, 4 the command's token was refused.\n",
	      fp);
}

/* A number field of @p o as text ("-" when it is missing, "null" when null). */
static const char *num(json_t *o, const char *key, char *buf, size_t size) {
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_null(v))
		snprintf(buf, size, "null");
	else
		snprintf(buf, size, "-");
	return buf;
}

static const char *str(json_t *o, const char *key) {
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "-";
}

static void print_flows(json_t *flows) {
	size_t i;
	json_t *f;

	printf("%-24s %-20s %-17s %6s %6s %7s %4s %12s %10s %10s\n", "FLOW", "SOURCE -> TARGET",
	       "STATE", "TOPICS", "ACTIVE", "STOPPED", "GONE", "RECORDS", "LAG", "LAG_MS");
	json_array_foreach(flows, i, f) {
		char link[256], b[7][32];
		json_t *parts = json_object_get(f, "partitions");
		const char *err = json_string_value(json_object_get(f, "last_error"));

		snprintf(link, sizeof(link), "%s -> %s", str(f, "source"), str(f, "target"));
		printf("%-24s %-20s %-17s %6s %6s %7s %4s %12s %10s %10s\n", str(f, "name"), link,
		       str(f, "state"), num(f, "topics", b[0], 32), num(parts, "active", b[1], 32),
		       num(parts, "stopped", b[2], 32), num(parts, "gone", b[3], 32),
		       num(f, "records", b[4], 32), num(f, "lag", b[5], 32),
		       num(f, "lag_ms", b[6], 32));
		if (err && *err)
			printf("  last error: %s\n", err);
	}
}

/* A flow's ACL sync, under its partitions, when it is on. */
static void print_acls(json_t *f) {
	json_t *a = json_object_get(f, "acls");
	const char *err = json_string_value(json_object_get(a, "last_error"));
	char b[4][32];

	if (!json_is_true(json_object_get(a, "enabled")))
		return;
	printf("\nACL sync: authorizers: source %s, target %s; synced %s, of the source's %s "
	       "(%s on the target already), ALLOW WRITE left out %s\n",
	       str(a, "source_authorizer"), str(a, "target_authorizer"), num(a, "synced", b[0], 32),
	       num(a, "bindings", b[1], 32), num(a, "present", b[2], 32),
	       num(a, "write_dropped", b[3], 32));
	if (err && *err)
		printf("  %s\n", err);
}

static void print_partitions(json_t *f) {
	json_t *list = json_object_get(f, "partition_list"), *p;
	size_t i;

	printf("%-32s %5s %-8s %12s %12s %10s %12s %6s %7s %6s  %s\n", "TOPIC", "PART", "STATE",
	       "NEXT", "END", "LAG", "COPIED", "LOST", "SKIPPED", "DLQ", "TARGET / REASON");
	json_array_foreach(list, i, p) {
		char b[8][32];
		const char *reason = json_string_value(json_object_get(p, "reason"));

		printf("%-32s %5s %-8s %12s %12s %10s %12s %6s %7s %6s  %s%s%s\n", str(p, "topic"),
		       num(p, "partition", b[0], 32), str(p, "state"), num(p, "next", b[1], 32),
		       num(p, "end", b[2], 32), num(p, "lag", b[3], 32), num(p, "copied", b[4], 32),
		       num(p, "lost", b[5], 32), num(p, "skipped", b[6], 32),
		       num(p, "dead_lettered", b[7], 32), str(p, "target"),
		       reason && *reason ? ": " : "", reason && *reason ? reason : "");
	}
	print_acls(f);
}

static int status(const char *file, int as_json, const char *flow) {
	json_error_t jerr;
	json_t *root, *flows, *f, *found = NULL;
	size_t i;
	FILE *fp = fopen(file, "r");

	if (!fp) {
		fprintf(stderr, "kmirrorctl: cannot read the status file %s: %s\n", file,
		        strerror(errno));
		return EXIT_FAILURE;
	}
	root = json_loadf(fp, 0, &jerr);
	fclose(fp);
	if (!root) {
		fprintf(stderr, "kmirrorctl: %s:%d:%d: not JSON: %s\n", file, jerr.line,
		        jerr.column, jerr.text);
		return EXIT_FAILURE;
	}
	flows = json_object_get(root, "flows");
	if (!json_is_array(flows)) {
		fprintf(stderr,
		        "kmirrorctl: %s is not a kmirrord status: expected an object with a "
		        "\"flows\" array (kmirrord --status-file writes one)\n",
		        file);
		json_decref(root);
		return EXIT_FAILURE;
	}
	json_array_foreach(flows, i, f) {
		if (!json_is_object(f) || !json_is_string(json_object_get(f, "name"))) {
			fprintf(
			    stderr,
			    "kmirrorctl: %s is not a kmirrord status: flow %zu has no \"name\"\n",
			    file, i + 1);
			json_decref(root);
			return EXIT_FAILURE;
		}
		if (flow && !strcmp(json_string_value(json_object_get(f, "name")), flow))
			found = f;
	}
	if (flow && !found) {
		fprintf(stderr, "kmirrorctl: no flow '%s' in %s; its flows:", flow, file);
		json_array_foreach(flows, i, f) {
			fprintf(stderr, " %s", json_string_value(json_object_get(f, "name")));
		}
		fprintf(stderr, "%s\n", json_array_size(flows) ? "" : " none");
		json_decref(root);
		return EXIT_FAILURE;
	}
	if (as_json) {
		json_dumpf(found ? found : root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else if (found) {
		print_partitions(found);
	} else {
		print_flows(flows);
	}
	json_decref(root);
	return EXIT_SUCCESS;
}

/* ---- over the REST API ------------------------------------------------- */

typedef struct opts {
	const char *url, *config, *token, *file;
	int as_json, config_given;
	int all, force, grant_write, no_wait;
	long timeout_s;
	char url_buf[160];
} opts_t;

/* The URL and token from the configuration file, when it can be read. */
static int from_config(opts_t *o) {
	char errstr[2048];
	km_rest_conf_t rc;
	km_node_t *root;
	FILE *fp = fopen(o->config, "r");

	if (!fp) {
		if (!o->config_given && errno == ENOENT)
			return 0;
		fprintf(stderr, "kmirrorctl: cannot read %s: %s (give --url)\n", o->config,
		        strerror(errno));
		return EXIT_FAILURE;
	}
	fclose(fp);
	if (!(root = km_yaml_load(o->config, errstr, sizeof(errstr))) ||
	    km_rest_conf_bind(&rc, root, errstr, sizeof(errstr)) != KM_OK) {
		fprintf(stderr, "kmirrorctl: %s (give --url to go on without it)\n", errstr);
		km_node_free(root);
		return EXIT_FAILURE;
	}
	if (!o->url) {
		int v6 = strchr(rc.host, ':') != NULL;
		const char *host = !strcmp(rc.host, "0.0.0.0") ? "127.0.0.1"
		                   : !strcmp(rc.host, "::")    ? "::1"
		                                               : rc.host;
		if (!rc.enabled || !rc.port || rc.cert) {
			fprintf(
			    stderr, "kmirrorctl: %s: the REST API is %s; give --url\n", o->config,
			    !rc.enabled ? "disabled (rest.enabled: false)"
			    : !rc.port
			        ? "on a port chosen at start (rest.listen port 0): the log says "
			          "which"
			        : "served over TLS, which kmirrorctl does not speak (use curl)");
			km_params_destroy(rc.params);
			km_node_free(root);
			return EXIT_USAGE;
		}
		snprintf(o->url_buf, sizeof(o->url_buf), "http://%s%s%s:%d", v6 ? "[" : "", host,
		         v6 ? "]" : "", rc.port);
		o->url = o->url_buf;
	}
	if (!o->token && rc.token) {
		static char tok[512];
		snprintf(tok, sizeof(tok), "%s", rc.token);
		o->token = tok;
	}
	km_params_destroy(rc.params);
	km_node_free(root);
	return 0;
}

/* km_http_do gave no HTTP answer (@p r): says why, and returns the exit
 * status. */
static int no_answer(int r, const char *errstr) {
	fprintf(stderr, "kmirrorctl: %s\n", errstr);
	return r == KM_HTTP_UNREACHABLE ? EXIT_UNREACHABLE
	       : r == KM_HTTP_USAGE     ? EXIT_USAGE
	                                : EXIT_FAILURE;
}

/* GET or POST @p path; the parsed JSON body of a 2xx answer, else NULL
 * with *rc the exit status (the message printed). */
static json_t *call(opts_t *o, const char *method, const char *path, int *rc) {
	char errstr[1024];
	km_http_resp_t resp;
	json_error_t jerr;
	json_t *j;
	int r =
	    km_http_do(o->url, method, path, strcmp(method, "GET") ? o->token : NULL,
	               strcmp(method, "GET") ? "{}" : NULL, 70000, &resp, errstr, sizeof(errstr));

	if (r != KM_HTTP_OK) {
		*rc = no_answer(r, errstr);
		return NULL;
	}
	j = json_loadb(resp.body, resp.len, 0, &jerr);
	if (resp.status >= 300) {
		const char *msg = json_string_value(json_object_get(j, "error"));
		fprintf(stderr, "kmirrorctl: %s %s: %d: %s\n", method, path, resp.status,
		        msg ? msg : resp.body);
		*rc = resp.status == 401 || resp.status == 403 ? EXIT_REFUSED : EXIT_FAILURE;
		json_decref(j);
		j = NULL;
	} else if (!j) {
		fprintf(stderr, "kmirrorctl: %s %s: the answer is not JSON: %s\n", method, path,
		        jerr.text);
		*rc = EXIT_FAILURE;
	}
	free(resp.body);
	return j;
}

static int dump(json_t *j) {
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(j);
	return EXIT_SUCCESS;
}

static int cmd_status(opts_t *o, const char *flow) {
	char path[512];
	int rc = 0;
	json_t *j;

	if (flow)
		snprintf(path, sizeof(path), "/v1/flows/%s", flow);
	if (!(j = call(o, "GET", flow ? path : "/v1/flows", &rc)))
		return rc;
	if (o->as_json)
		return dump(j);
	if (flow)
		print_partitions(j);
	else
		print_flows(json_object_get(j, "flows"));
	json_decref(j);
	return EXIT_SUCCESS;
}

/* The flows named (one, or all the daemon has) as a JSON array of names. */
static json_t *flow_names(opts_t *o, const char *flow, int *rc) {
	json_t *names = json_array(), *j, *f;
	size_t i;

	if (flow) {
		json_array_append_new(names, json_string(flow));
		return names;
	}
	if (!(j = call(o, "GET", "/v1/flows", rc))) {
		json_decref(names);
		return NULL;
	}
	json_array_foreach(json_object_get(j, "flows"), i, f) {
		json_array_append(names, json_object_get(f, "name"));
	}
	json_decref(j);
	return names;
}

static int cmd_topics(opts_t *o, const char *flow) {
	json_t *names, *all, *n, *t;
	size_t i, k;
	int rc = 0;

	if (!(names = flow_names(o, flow, &rc)))
		return rc;
	all = json_array();
	json_array_foreach(names, i, n) {
		char path[512];
		json_t *j;
		snprintf(path, sizeof(path), "/v1/flows/%s/topics", json_string_value(n));
		if (!(j = call(o, "GET", path, &rc)))
			break;
		json_array_append(all, j);
		json_decref(j);
	}
	json_decref(names);
	if (rc) {
		json_decref(all);
		return rc;
	}
	if (o->as_json)
		return dump(json_pack("{s:o}", "flows", all));
	printf("%-20s %-32s %-32s %-12s %-8s %5s %12s %10s %10s  %s\n", "FLOW", "TOPIC", "TARGET",
	       "MIRROR", "STATE", "PARTS", "RECORDS", "LAG", "LAG_MS", "LAST ERROR");
	json_array_foreach(all, i, n) {
		json_array_foreach(json_object_get(n, "topics"), k, t) {
			char b[4][32];
			printf("%-20s %-32s %-32s %-12s %-8s %5s %12s %10s %10s  %s\n",
			       str(n, "flow"), str(t, "topic"), str(t, "target"),
			       str(t, "mirror_state"), str(t, "state"),
			       num(t, "partitions", b[0], 32), num(t, "records", b[1], 32),
			       num(t, "lag", b[2], 32), num(t, "lag_ms", b[3], 32),
			       str(t, "last_error"));
		}
	}
	json_decref(all);
	return EXIT_SUCCESS;
}

static int cmd_lag(opts_t *o, const char *flow) {
	json_t *names, *out, *n, *p;
	size_t i, k;
	int rc = 0;

	if (!(names = flow_names(o, flow, &rc)))
		return rc;
	out = json_array();
	json_array_foreach(names, i, n) {
		char path[512];
		json_t *j;
		snprintf(path, sizeof(path), "/v1/flows/%s", json_string_value(n));
		if (!(j = call(o, "GET", path, &rc)))
			break;
		json_array_foreach(json_object_get(j, "partition_list"), k, p) {
			json_array_append_new(
			    out,
			    json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:O}", "flow", n, "topic",
			              json_object_get(p, "topic"), "partition",
			              json_object_get(p, "partition"), "state",
			              json_object_get(p, "state"), "lag", json_object_get(p, "lag"),
			              "lag_ms", json_object_get(p, "lag_ms"), "target",
			              json_object_get(p, "target")));
		}
		json_decref(j);
	}
	json_decref(names);
	if (rc) {
		json_decref(out);
		return rc;
	}
	if (o->as_json)
		return dump(json_pack("{s:o}", "partitions", out));
	printf("%-20s %-32s %5s %-8s %12s %10s\n", "FLOW", "TOPIC", "PART", "STATE", "LAG",
	       "LAG_MS");
	json_array_foreach(out, i, p) {
		char b[3][32];
		printf("%-20s %-32s %5s %-8s %12s %10s\n", str(p, "flow"), str(p, "topic"),
		       num(p, "partition", b[0], 32), str(p, "state"), num(p, "lag", b[1], 32),
		       num(p, "lag_ms", b[2], 32));
	}
	json_decref(out);
	return EXIT_SUCCESS;
}

static int cmd_reload(opts_t *o) {
	int rc = 0;
	json_t *j = call(o, "POST", "/v1/reload", &rc);

	if (!j)
		return rc;
	if (o->as_json)
		return dump(j);
	printf("%s\n", json_is_true(json_object_get(j, "reloaded"))
	                   ? "reloaded"
	                   : "the reload is still running (kmirrorctl status shows it)");
	json_decref(j);
	return EXIT_SUCCESS;
}

/* Prints a command's per-topic results. */
static void print_results(json_t *j) {
	json_t *t;
	size_t i;

	printf("%-32s %-32s %-12s %-12s %6s  %s\n", "TOPIC", "TARGET", "FROM", "TO", "RESULT",
	       "MESSAGE");
	json_array_foreach(json_object_get(j, "topics"), i, t) {
		char b[32];
		printf("%-32s %-32s %-12s %-12s %6s  %s\n", str(t, "topic"), str(t, "target"),
		       str(t, "from"), str(t, "to"), num(t, "status", b, sizeof(b)),
		       str(t, "message"));
	}
}

/* Waits until every topic of @p j's answer is STOPPED, printing what each
 * waits for when it changes. */
static int wait_stopped(opts_t *o, const char *flow, json_t *j) {
	long waited = 0;
	char path[512], last[1024] = "";

	snprintf(path, sizeof(path), "/v1/flows/%s/topics", flow);
	for (;;) {
		int rc = 0, left = 0;
		json_t *now = call(o, "GET", path, &rc), *want, *t;
		size_t i, k;
		char line[1024] = "";
		if (!now)
			return rc;
		json_array_foreach(json_object_get(j, "topics"), i, want) {
			json_array_foreach(json_object_get(now, "topics"), k, t) {
				const char *st = str(t, "mirror_state");
				if (strcmp(str(t, "topic"), str(want, "topic")) ||
				    !strcmp(st, "STOPPED"))
					continue;
				left++;
				snprintf(line, sizeof(line), "%s: %s: %s", str(t, "topic"), st,
				         str(t, "mirror_state_detail"));
			}
		}
		if (!left) { /* what the last step said: --grant-write's outcome */
			json_array_foreach(json_object_get(j, "topics"), i, want) {
				json_array_foreach(json_object_get(now, "topics"), k, t) {
					if (!o->as_json &&
					    !strcmp(str(t, "topic"), str(want, "topic")) &&
					    *str(t, "mirror_state_detail"))
						printf("%s: STOPPED: %s\n", str(t, "topic"),
						       str(t, "mirror_state_detail"));
				}
			}
			json_decref(now);
			if (!o->as_json)
				printf("every topic is STOPPED\n");
			return EXIT_SUCCESS;
		}
		json_decref(now);
		if (!o->as_json && strcmp(line, last)) {
			printf("%s%s\n", line,
			       left > 1 ? " (and more topics not STOPPED yet)" : "");
			fflush(stdout);
			snprintf(last, sizeof(last), "%s", line);
		}
		if (waited >= o->timeout_s) {
			fprintf(stderr,
			        "kmirrorctl: %d topic(s) not STOPPED after %ld s (%s); kmirrorctl "
			        "topics %s shows them\n",
			        left, waited, line, flow);
			return EXIT_FAILURE;
		}
		sleep(1); /* polling a daemon, not a test */
		waited++;
	}
}

/* pause, resume, promote, failover FLOW TOPIC|--all */
static int cmd_mirror(opts_t *o, const char *cmd, const char *flow, const char *topic) {
	char path[768], body[64], errstr[1024];
	km_http_resp_t resp;
	json_error_t jerr;
	json_t *j;
	int r, stops = !strcmp(cmd, "promote") || !strcmp(cmd, "failover");

	if (topic)
		snprintf(path, sizeof(path), "/v1/flows/%s/topics/%s/%s", flow, topic, cmd);
	else
		snprintf(path, sizeof(path), "/v1/flows/%s/%s", flow, cmd);
	snprintf(body, sizeof(body), "{%s}",
	         o->force         ? "\"force\":true"
	         : o->grant_write ? "\"grant_write\":true"
	                          : "");
	r = km_http_do(o->url, "POST", path, o->token, body, 70000, &resp, errstr, sizeof(errstr));
	if (r != KM_HTTP_OK)
		return no_answer(r, errstr);
	j = json_loadb(resp.body, resp.len, 0, &jerr);
	if (!j) {
		fprintf(stderr, "kmirrorctl: POST %s: %d: %s\n", path, resp.status, resp.body);
		free(resp.body);
		return EXIT_FAILURE;
	}
	free(resp.body);
	if (resp.status >= 300) {
		fprintf(stderr, "kmirrorctl: %s %s: %d: %s\n", cmd, topic ? topic : flow,
		        resp.status, str(j, "error"));
		if (json_array_size(json_object_get(j, "topics")) > 1 && !o->as_json)
			print_results(j);
		else if (o->as_json)
			dump(json_incref(j));
		json_decref(j);
		return resp.status == 401 || resp.status == 403 ? EXIT_REFUSED : EXIT_FAILURE;
	}
	if (o->as_json)
		dump(json_incref(j));
	else
		print_results(j);
	r = stops && !o->no_wait ? wait_stopped(o, flow, j) : EXIT_SUCCESS;
	json_decref(j);
	return r;
}

static int cmd_validate(const char *file) {
	char errstr[2048];
	size_t ncl, nfl;

	if (km_config_check(file, &ncl, &nfl, errstr, sizeof(errstr)) != KM_OK) {
		fprintf(stderr, "kmirrorctl: %s\n", errstr);
		return EXIT_FAILURE;
	}
	printf("%s: configuration OK (%zu cluster(s), %zu flow(s) enabled)\n", file, ncl, nfl);
	return EXIT_SUCCESS;
}

static int optarg_of(int argc, char **argv, int *i, const char *name, const char **val) {
	size_t n = strlen(name);

	if (!strcmp(argv[*i], name)) {
		if (++*i >= argc) {
			fprintf(stderr, "kmirrorctl: %s needs a value\n", name);
			return -1;
		}
		*val = argv[*i];
		return 1;
	}
	if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	return 0;
}

int main(int argc, char **argv) {
	static const char *const cmds[] = {"status",  "flows",    "topics", "lag",
	                                   "reload",  "validate", "pause",  "resume",
	                                   "promote", "failover", NULL};
	opts_t o = {.config = DEFAULT_CONFIG, .timeout_s = 600};
	const char *cmd = NULL, *arg = NULL, *arg2 = NULL;
	int rc, mirror;

	km_log_level = KM_LOG_WARNING;
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		int r;
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("kmirrorctl %s\n", PACKAGE_VERSION);
			return EXIT_SUCCESS;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return EXIT_SUCCESS;
		}
		if (!strcmp(argv[i], "--json")) {
			o.as_json = 1;
			continue;
		}
		if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "--force") ||
		    !strcmp(argv[i], "--grant-write") || !strcmp(argv[i], "--no-wait")) {
			*(argv[i][2] == 'a'   ? &o.all
			  : argv[i][2] == 'f' ? &o.force
			  : argv[i][2] == 'g' ? &o.grant_write
			                      : &o.no_wait) = 1;
			continue;
		}
		if ((r = optarg_of(argc, argv, &i, "--timeout", &v))) {
			char *end;
			if (r < 0)
				return EXIT_USAGE;
			errno = 0;
			o.timeout_s = strtol(v, &end, 10);
			if (errno || *end || end == v || o.timeout_s < 0) {
				fprintf(
				    stderr,
				    "kmirrorctl: --timeout '%s': a number of seconds (0 or more)\n",
				    v);
				return EXIT_USAGE;
			}
			continue;
		}
		if ((r = optarg_of(argc, argv, &i, "--status-file", &v)) ||
		    (r = optarg_of(argc, argv, &i, "--url", &v)) ||
		    (r = optarg_of(argc, argv, &i, "--token", &v)) ||
		    (r = optarg_of(argc, argv, &i, "--config", &v)) ||
		    (r = optarg_of(argc, argv, &i, "-c", &v))) {
			if (r < 0)
				return EXIT_USAGE;
			if (!strncmp(argv[i - (argv[i] == v)], "--status-file", 13))
				o.file = v;
			else if (!strncmp(argv[i - (argv[i] == v)], "--url", 5))
				o.url = v;
			else if (!strncmp(argv[i - (argv[i] == v)], "--token", 7))
				o.token = v;
			else {
				o.config = v;
				o.config_given = 1;
			}
			continue;
		}
		if (argv[i][0] == '-') {
			fprintf(stderr,
			        "kmirrorctl: unknown option '%s' (kmirrorctl --help lists them)\n",
			        argv[i]);
			return EXIT_USAGE;
		}
		if (!cmd) {
			cmd = argv[i];
		} else if (!arg) {
			arg = argv[i];
		} else if (!arg2 && (!strcmp(cmd, "pause") || !strcmp(cmd, "resume") ||
		                     !strcmp(cmd, "promote") || !strcmp(cmd, "failover"))) {
			arg2 = argv[i];
		} else {
			fprintf(stderr, "kmirrorctl: %s takes %s, not '%s' too\n", cmd,
			        arg2 ? "a flow and a topic" : "one argument", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!cmd) {
		fputs("kmirrorctl: no command given (kmirrorctl --help lists them)\n", stderr);
		return EXIT_USAGE;
	}
	for (rc = 0; cmds[rc] && strcmp(cmds[rc], cmd); rc++)
		;
	if (!cmds[rc]) {
		fprintf(
		    stderr,
		    "kmirrorctl: unknown command '%s' (the commands: status, flows, topics, lag, "
		    "reload, validate, pause, resume, promote, failover)\n",
		    cmd);
		return EXIT_USAGE;
	}
	mirror = rc >= 6;
	if (mirror && (!arg || !!arg2 == o.all)) {
		fprintf(stderr,
		        "kmirrorctl: %s needs a flow and a topic, or a flow and --all "
		        "(e.g. kmirrorctl %s orders-flow orders)\n",
		        cmd, cmd);
		return EXIT_USAGE;
	}
	if ((o.all && !mirror) || (o.force && strcmp(cmd, "resume")) ||
	    (o.grant_write && strcmp(cmd, "promote") && strcmp(cmd, "failover")) ||
	    ((o.no_wait || o.timeout_s != 600) && strcmp(cmd, "promote") &&
	     strcmp(cmd, "failover"))) {
		fprintf(stderr, "kmirrorctl: %s does not take %s (kmirrorctl --help)\n", cmd,
		        o.all           ? "--all"
		        : o.force       ? "--force"
		        : o.grant_write ? "--grant-write"
		                        : "--no-wait or --timeout");
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "validate")) {
		if (!arg) {
			fputs("kmirrorctl: validate needs a configuration file\n", stderr);
			return EXIT_USAGE;
		}
		return cmd_validate(arg);
	}
	if (arg && (!strcmp(cmd, "flows") || !strcmp(cmd, "reload"))) {
		fprintf(stderr, "kmirrorctl: %s takes no argument, not '%s'\n", cmd, arg);
		return EXIT_USAGE;
	}
	if (o.file) {
		if (strcmp(cmd, "status")) {
			fprintf(stderr, "kmirrorctl: --status-file works with status only\n");
			return EXIT_USAGE;
		}
		return status(o.file, o.as_json, arg);
	}
	if (!o.token)
		o.token = getenv("KMIRROR_TOKEN");
	if ((!o.url || !o.token) && (rc = from_config(&o)))
		return rc;
	if (!o.url)
		o.url = DEFAULT_URL;
	if (!strcmp(cmd, "status") || !strcmp(cmd, "flows"))
		return cmd_status(&o, arg);
	if (!strcmp(cmd, "topics"))
		return cmd_topics(&o, arg);
	if (!strcmp(cmd, "lag"))
		return cmd_lag(&o, arg);
	if (mirror)
		return cmd_mirror(&o, cmd, arg, arg2);
	return cmd_reload(&o);
}
