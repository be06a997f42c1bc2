/* kmirrorctl: the control tool for a running kmirrord. This version reads
 * the daemon's status file (kmirrord --status-file) and prints it.
 *
 * Exit status: 0 done, 1 a runtime error (the file cannot be read or is
 * not a kmirrord status, no such flow), 2 a usage error. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define EXIT_USAGE 2

static void usage(FILE *fp) {
	fputs("Usage: kmirrorctl status --status-file FILE [--json] [FLOW]\n"
	      "       kmirrorctl --version | --help\n"
	      "\n"
	      "  status   prints the flows of kmirrord's status file as a table; with\n"
	      "           FLOW, that flow's partitions; with --json, the file's JSON\n"
	      "\n"
	      "Exit status: 0 done, 1 the status cannot be read or has no such flow,\n"
	      "2 a bad command line.\n",
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

int main(int argc, char **argv) {
	const char *file = NULL, *flow = NULL;
	int as_json = 0;

	if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		printf("kmirrorctl %s\n", PACKAGE_VERSION);
		return EXIT_SUCCESS;
	}
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	if (argc < 2) {
		fputs("kmirrorctl: no command given (kmirrorctl --help lists them)\n", stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "status")) {
		fprintf(stderr, "kmirrorctl: unknown command '%s' (the commands: status)\n",
		        argv[1]);
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--status-file")) {
			if (++i >= argc) {
				fputs("kmirrorctl: --status-file needs a file name\n", stderr);
				return EXIT_USAGE;
			}
			file = argv[i];
		} else if (!strncmp(argv[i], "--status-file=", 14)) {
			file = argv[i] + 14;
		} else if (!strcmp(argv[i], "--json")) {
			as_json = 1;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "kmirrorctl: unknown option '%s' of status\n", argv[i]);
			return EXIT_USAGE;
		} else if (flow) {
			fprintf(stderr, "kmirrorctl: status takes one flow name, not '%s' too\n",
			        argv[i]);
			return EXIT_USAGE;
		} else {
			flow = argv[i];
		}
	}
	if (!file) {
		fputs("kmirrorctl: status needs --status-file FILE (the file kmirrord "
		      "--status-file writes); this version has no other way to reach kmirrord\n",
		      stderr);
		return EXIT_USAGE;
	}
	return status(file, as_json, flow);
}
