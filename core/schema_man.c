/* schema-man: writes kmirror.yaml(5) from the schema tables the binder
 * checks the configuration against (config_schema.c), and from the schema
 * of each plugin named on the command line (its km_plugin descriptor), so
 * that the manual page cannot say something the daemon does not do.
 * Built and run by `make` (core/local.mk); not installed.
 *
 * Usage: schema-man VERSION [PLUGIN.so ...] > kmirror.yaml.5 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_model.h"
#include "params.h"
#include "plugin_host.h"

/* Writes @p s with roff's specials escaped. */
static void roff(FILE *fp, const char *s) {
	if (*s == '.' || *s == '\'')
		fputs("\\&", fp);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", fp);
		else if (*s == '-')
			fputs("\\-", fp);
		else
			fputc(*s, fp);
	}
}

static void params(FILE *fp, const km_param_t *schema) {
	if (!schema || !schema[0].name) {
		fputs(".PP\nNo parameters.\n", fp);
		return;
	}
	for (size_t i = 0; schema[i].name; i++) {
		char sum[1024];
		km_param_summary(&schema[i], sum, sizeof(sum));
		if (schema[i].type == KM_PARAM_LIST) /* "a,b": room to break the line */
			for (char *c = sum; (c = strchr(c, ',')) && strlen(sum) + 1 < sizeof(sum);
			     c += 2) {
				memmove(c + 2, c + 1, strlen(c + 1) + 1);
				c[1] = ' ';
			}
		fputs(".TP\n.B ", fp);
		roff(fp, schema[i].name);
		fputs("\n(", fp);
		roff(fp, km_param_type_word(schema[i].type));
		fputs("; ", fp);
		roff(fp, sum);
		fputs(")\n.br\n", fp);
		roff(fp, schema[i].doc ? schema[i].doc : "");
		fputs(".\n", fp);
	}
}

static int plugin(FILE *fp, const char *path) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	const km_plugin_t *p;

	if (!h) {
		fprintf(stderr, "schema-man: %s\n", dlerror());
		return -1;
	}
	if (!(p = dlsym(h, "km_plugin"))) {
		fprintf(stderr, "schema-man: %s: no km_plugin symbol\n", path);
		dlclose(h);
		return -1;
	}
	fputs(".SS ", fp);
	roff(fp, p->name);
	fputs(" (", fp);
	roff(fp, km_plugin_kind_name(p->kind));
	fputs(")\n", fp);
	roff(fp, p->description ? p->description : "");
	fputs("\n", fp);
	params(fp, p->params);
	/* the descriptor's strings live in the module: it stays loaded */
	return 0;
}

static const char *const head =
    ".SH NAME\n"
    "kmirror.yaml \\- configuration of kmirrord, the Kafka replication daemon\n"
    ".SH SYNOPSIS\n"
    ".I /etc/kmirror/kmirror.yaml\n"
    ".SH DESCRIPTION\n"
    "One YAML file configures \\fBkmirrord\\fR(8): Kafka clusters by alias, and flows,\n"
    "each one direction of replication from a source cluster to a target cluster.\n"
    "The whole file is checked at start and at each reload (SIGHUP): an unknown key,\n"
    "a missing required key, a wrong type or a value out of range is refused with\n"
    "FILE:LINE:COL and the key; \\fBkmirrord \\-\\-check\\-config\\fR checks a file\n"
    "alone. A string value may be \\fB${env:NAME}\\fR or \\fB${file:PATH}\\fR (the\n"
    "file's content, for secrets); such values never reach the log.\n"
    ".PP\n"
    "This page is generated at build time from the same tables the daemon checks\n"
    "the file against.\n"
    ".PP\n"
    "Types: a \\fBduration\\fR is a number with ms, s, m or h (250ms, 5s, 10m); a\n"
    "\\fBsize\\fR a number with B, KB, MB or GB; a \\fBlist\\fR a YAML sequence (a\n"
    "single scalar is a list of one).\n"
    ".SH TOP LEVEL\n"
    ".TP\n.B clusters\n(mapping; required)\n.br\n"
    "The Kafka clusters by alias ([A\\-Za\\-z0\\-9_\\-]+). Each has one key,\n"
    "\\fBkafka\\fR: librdkafka properties, passed through untouched (at least\n"
    "\\fBbootstrap.servers\\fR). The few properties kmirror owns (group.id,\n"
    "enable.auto.commit, partitioner, transactional.id, ...) are refused, with why.\n"
    ".TP\n.B flows\n(list; required)\n.br\n"
    "The flows, at least one (see FLOWS). A flow with \\fBenabled: false\\fR stays in\n"
    "the file without running.\n";

static const char *const flow_keys =
    ".SH FLOWS\n"
    "Each item of \\fBflows\\fR is a mapping with these keys, then the options below.\n"
    ".TP\n.B name\n(string; required)\n.br\nUnique among the flows, [A\\-Za\\-z0\\-9_.\\-]+.\n"
    ".TP\n.B source\\fR, \\fBtarget\n(string; required)\n.br\n"
    "Cluster aliases; the target is another cluster than the source.\n"
    ".TP\n.B topics\n(plugin; default: topic_regex)\n.br\n"
    "Which source topics are copied: \\fB{include: [RE, ...], exclude: [RE, ...]}\\fR\n"
    "(the \\fBtopic_regex\\fR plugin's parameters, below), or \\fB{plugin: NAME, ...}\\fR.\n"
    ".TP\n.B policy\n(plugin; default: prefix)\n.br\n"
    "How topics are named on the target: a plugin name (\\fBprefix\\fR,\n"
    "\\fBidentity\\fR) or \\fB{plugin: NAME, PARAM: VALUE, ...}\\fR.\n"
    ".TP\n.B pipeline\n(list of plugins; default: none)\n.br\n"
    "Record stages, in order: \\fB\\- {plugin: NAME, PARAM: VALUE, ...}\\fR.\n"
    ".TP\n.B consumer\\fR, \\fBproducer\n(mapping; optional)\n.br\n"
    "librdkafka properties for this flow's clients, over the cluster's.\n"
    ".TP\n.B groups\n(plugin; default: group_regex)\n.br\n"
    "The consumer groups checkpointed: \\fB{include: [RE, ...], exclude: [RE, ...]}\\fR\n"
    "(the \\fBgroup_regex\\fR plugin's parameters, below), or \\fB{plugin: NAME, ...}\\fR.\n"
    ".TP\n.B config.properties\n(plugin; default: config_regex)\n.br\n"
    "Which topic configs are copied: \\fB{exclude: [RE, ...]}\\fR (the \\fBconfig_regex\\fR\n"
    "plugin's parameters, below; \\fBconfig.properties.exclude\\fR says the same), or\n"
    "\\fB{plugin: NAME, ...}\\fR.\n"
    ".PP\nThe flow's options:\n";

int main(int argc, char **argv) {
	int rc = EXIT_SUCCESS;

	if (argc < 2) {
		fprintf(stderr, "usage: schema-man VERSION [PLUGIN.so ...]\n");
		return 2;
	}
	printf(".\\\" Generated by schema-man from kmirrord's schema tables: do not edit.\n");
	printf(".TH KMIRROR.YAML 5 \"\" \"kmirror %s\" \"File Formats\"\n", argv[1]);
	fputs(head, stdout);
	params(stdout, km_config_params);
	fputs(flow_keys, stdout);
	params(stdout, km_flow_params);
	fputs(".SH REST\nThe keys of the top-level \\fBrest\\fR mapping: kmirrord's REST API and\n"
	      "\\fB/metrics\\fR.\n",
	      stdout);
	params(stdout, km_rest_params);
	fputs(".SH PLUGINS\n"
	      "The parameters of the plugins shipped with kmirror, given in the plugin's\n"
	      "mapping (\\fBpolicy\\fR, \\fBtopics\\fR, a \\fBpipeline\\fR item) beside\n"
	      "\\fBplugin\\fR. Every pipeline item also takes \\fBtick_interval\\fR (duration;\n"
	      "default: 1s; 10ms to 24h): how often a stage's timer runs, for stages with one.\n",
	      stdout);
	for (int i = 2; i < argc; i++)
		if (plugin(stdout, argv[i]))
			rc = EXIT_FAILURE;
	fputs(".SH EXAMPLE\n"
	      ".nf\n"
	      "clusters:\n"
	      "  east: {kafka: {bootstrap.servers: east\\-1:9092}}\n"
	      "  west: {kafka: {bootstrap.servers: west\\-1:9092}}\n"
	      "flows:\n"
	      "  \\- name: east\\-to\\-west\n"
	      "    source: east\n"
	      "    target: west\n"
	      "    topics: {include: [\\(aqorders\\e..*\\(aq]}\n"
	      ".fi\n"
	      ".SH SEE ALSO\n"
	      ".BR kmirrord (8),\n.BR kmirrorctl (1),\n.BR kmirror\\-lua (7),\n"
	      ".BR kmirror\\-plugin (3)\n",
	      stdout);
	if (fflush(stdout) || ferror(stdout))
		rc = EXIT_FAILURE;
	return rc;
}
