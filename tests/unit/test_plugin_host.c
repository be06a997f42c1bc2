/* Unit tests: the plugin host (core/plugin_host.c), the real loader with
 * libltdl, fed by the real configuration loader. A catalogue of plugins the
 * host must refuse, each asserting the whole message; the bundled plugins
 * and compatible descriptors loaded from the build tree; and
 * `kmirrord --check-config` run as a program on bad and good files.
 *
 * The broken plugins are built for the tests only, in tests/plugins/. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config_model.h"
#include "log.h"
#include "plugin_host.h"

static char builddir[1024];
static char policies_dir[1100], plugins_dir[1100], tp_dir[1100];

/* ---- helpers --------------------------------------------------------------- */

static void tmpdir_new(char *buf, size_t size) {
	snprintf(buf, size, "%s/km-plugin-host-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(buf))
		fail_msg("mkdtemp: %s", strerror(errno));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void tmpdir_remove(const char *dir) {
	chmod(dir, 0700);
	assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void copy_file(const char *from, const char *to, mode_t mode) {
	char buf[65536];
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	if (in < 0)
		fail_msg("%s: %s (is the build tree complete?)", from, strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	assert_int_equal(close(out), 0);
	/* explicit: the umask must not decide the bits under test */
	assert_int_equal(chmod(to, mode), 0);
}

static void write_file(const char *path, const char *text) {
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static km_plugin_host_t *host_of(const char *d1, const char *d2, const char *d3) {
	const char *dirs[3] = {d1, d2, d3};
	size_t n = d3 ? 3 : d2 ? 2 : 1;
	km_plugin_host_t *h = km_plugin_host_new(dirs, n);

	assert_non_null(h);
	return h;
}

/* Loads @p name and expects it refused with exactly @p want. */
static void expect_refused(km_plugin_host_t *h, const char *name, const char *want) {
	char errstr[2048] = "";

	if (km_plugin_load(h, name, errstr, sizeof(errstr)))
		fail_msg("plugin '%s' loaded; expected: %s", name, want);
	assert_string_equal(errstr, want);
}

static const km_plugin_t *expect_loaded(km_plugin_host_t *h, const char *name) {
	char errstr[2048] = "";
	const km_plugin_t *p = km_plugin_load(h, name, errstr, sizeof(errstr));

	if (!p)
		fail_msg("plugin '%s' refused: %s", name, errstr);
	assert_string_equal(p->name, name);
	return p;
}

/* Two clusters and one flow a -> b whose further keys (indented 4) follow;
 * the flow's first extra key is on line 13. */
#define CONF_HEAD                                                                                  \
	"plugin_dirs: [%s, %s, %s]\n"                                                              \
	"clusters:\n"                                                                              \
	"  a:\n"                                                                                   \
	"    kafka:\n"                                                                             \
	"      bootstrap.servers: a1:9092\n"                                                       \
	"  b:\n"                                                                                   \
	"    kafka:\n"                                                                             \
	"      bootstrap.servers: b1:9092\n"                                                       \
	"flows:\n"                                                                                 \
	"  - name: ab\n"                                                                           \
	"    source: a\n"                                                                          \
	"    target: b\n"

/* The config text: CONF_HEAD with the build tree's plugin dirs, then @p flow_keys. */
static char *conf_text(const char *flow_keys) {
	char *text = NULL;

	assert_true(asprintf(&text, CONF_HEAD "%s", policies_dir, plugins_dir, tp_dir, flow_keys) >
	            0);
	return text;
}

static km_config_t *conf_load(const char *flow_keys) {
	char errstr[2048] = "", *text = conf_text(flow_keys);
	km_config_t *c = km_config_load_string("t.yaml", text, errstr, sizeof(errstr));

	free(text);
	if (!c)
		fail_msg("config refused: %s", errstr);
	assert_int_equal(c->flow_cnt, 1);
	return c;
}

/* A host on the config's own plugin_dirs. */
static km_plugin_host_t *conf_host(const km_config_t *c) {
	km_plugin_host_t *h = km_plugin_host_new(c->plugin_dirs, c->plugin_dir_cnt);

	assert_non_null(h);
	return h;
}

/* The reference @p which (0 policy, 1 topics, 2 pipeline[0], 3 groups,
 * 4 config.properties) of the config's one flow. */
static const km_plugin_ref_t *ref_of(const km_config_t *c, int which) {
	const km_flow_conf_t *f = &c->flows[0];
	const km_plugin_ref_t *refs[] = {&f->policy, &f->topics, f->pipeline, &f->groups,
	                                 &f->configs};

	return refs[which];
}

/* Makes the instance @p ref names and expects it refused with @p want. */
static void expect_instance_refused(const char *flow_keys, int which, km_plugin_kind_t kind,
                                    const char *want) {
	km_config_t *c = conf_load(flow_keys);
	km_plugin_host_t *h = conf_host(c);
	const km_plugin_ref_t *ref = ref_of(c, which);
	char errstr[2048] = "";
	km_instance_t *inst = km_instance_new(h, ref, kind, "ab", "a", "b", errstr, sizeof(errstr));

	if (inst) {
		km_instance_destroy(inst);
		fail_msg("instance made; expected: %s", want);
	}
	assert_string_equal(errstr, want);
	km_plugin_host_destroy(h);
	km_config_destroy(c);
}

/* ---- refusals by the loader ------------------------------------------------- */

static void test_not_found_lists_dirs(void **state) {
	char d1[512], d2[512], want[2048];
	km_plugin_host_t *h;

	(void)state;
	tmpdir_new(d1, sizeof(d1));
	tmpdir_new(d2, sizeof(d2));
	h = host_of(d1, d2, NULL);
	snprintf(want, sizeof(want),
	         "plugin 'prefix' not found: no prefix.so in plugin_dirs (%s, %s)", d1, d2);
	expect_refused(h, "prefix", want);
	km_plugin_host_destroy(h);
	tmpdir_remove(d1);
	tmpdir_remove(d2);
}

static void test_found_twice(void **state) {
	char d[512], from[1200], copy[600], want[4096];
	km_plugin_host_t *h;

	(void)state;
	tmpdir_new(d, sizeof(d));
	snprintf(from, sizeof(from), "%s/prefix.so", policies_dir);
	snprintf(copy, sizeof(copy), "%s/prefix.so", d);
	copy_file(from, copy, 0755);
	h = host_of(d, plugins_dir, policies_dir);
	snprintf(want, sizeof(want),
	         "plugin 'prefix' is found twice, as %s and %s: remove one, or drop one of the "
	         "directories from plugin_dirs",
	         copy, from);
	expect_refused(h, "prefix", want);
	/* the other plugins of those directories still load */
	expect_loaded(h, "topic_regex");
	km_plugin_host_destroy(h);
	tmpdir_remove(d);
}

static void test_world_writable_file(void **state) {
	char d[512], from[1200], copy[600], want[2048];
	km_plugin_host_t *h;

	(void)state;
	tmpdir_new(d, sizeof(d));
	snprintf(from, sizeof(from), "%s/identity.so", policies_dir);
	snprintf(copy, sizeof(copy), "%s/identity.so", d);
	copy_file(from, copy, 0757); /* o+w */
	h = host_of(d, NULL, NULL);
	snprintf(want, sizeof(want),
	         "plugin file %s is world-writable, so anyone could replace the code kmirrord "
	         "runs: fix it with chmod o-w",
	         copy);
	expect_refused(h, "identity", want);
	km_plugin_host_destroy(h);

	/* fixed as the message says: it loads */
	assert_int_equal(chmod(copy, 0755), 0);
	h = host_of(d, NULL, NULL);
	expect_loaded(h, "identity");
	km_plugin_host_destroy(h);
	tmpdir_remove(d);
}

static void test_world_writable_dir(void **state) {
	char d[512], from[1200], copy[600], want[2048];
	km_plugin_host_t *h;

	(void)state;
	tmpdir_new(d, sizeof(d));
	snprintf(from, sizeof(from), "%s/identity.so", policies_dir);
	snprintf(copy, sizeof(copy), "%s/identity.so", d);
	copy_file(from, copy, 0755);
	assert_int_equal(chmod(d, 0777), 0);
	h = host_of(d, NULL, NULL);
	snprintf(want, sizeof(want),
	         "plugin directory %s is world-writable, so anyone could replace the plugins in "
	         "it: fix it with chmod o-w",
	         d);
	expect_refused(h, "identity", want);
	km_plugin_host_destroy(h);

	/* a sticky directory (like /tmp) lets no one replace another's file */
	assert_int_equal(chmod(d, 01777), 0);
	h = host_of(d, NULL, NULL);
	expect_loaded(h, "identity");
	km_plugin_host_destroy(h);
	tmpdir_remove(d);
}

static void test_not_a_shared_object(void **state) {
	char d[512], junk[600], want[2048], errstr[2048] = "";
	km_plugin_host_t *h;

	(void)state;
	tmpdir_new(d, sizeof(d));
	snprintf(junk, sizeof(junk), "%s/junk.so", d);
	write_file(junk, "this is not an ELF file\n");
	h = host_of(d, NULL, NULL);
	assert_null(km_plugin_load(h, "junk", errstr, sizeof(errstr)));
	/* libltdl's own reason follows */
	snprintf(want, sizeof(want), "cannot load plugin %s: ", junk);
	if (strncmp(errstr, want, strlen(want)) || strlen(errstr) == strlen(want))
		fail_msg("unexpected message: %s", errstr);
	km_plugin_host_destroy(h);
	tmpdir_remove(d);
}

static void test_no_symbol(void **state) {
	char want[2048];
	km_plugin_host_t *h = host_of(tp_dir, NULL, NULL);

	(void)state;
	snprintf(want, sizeof(want),
	         "%s/tp_nosym.so does not export the symbol 'km_plugin', so it is not a kmirror "
	         "plugin (define it with KM_PLUGIN_DEFINE from <kmirror/plugin.h>)",
	         tp_dir);
	expect_refused(h, "tp_nosym", want);
	km_plugin_host_destroy(h);
}

static void test_abi_major_mismatch(void **state) {
	char want[2048];
	km_plugin_host_t *h = host_of(tp_dir, NULL, NULL);

	(void)state;
	snprintf(want, sizeof(want),
	         "%s/tp_abi99.so was built for plugin ABI 99.3, but this kmirrord has ABI %d.%d: "
	         "rebuild the plugin against this version's SDK",
	         tp_dir, KM_PLUGIN_ABI_MAJOR, KM_PLUGIN_ABI_MINOR);
	expect_refused(h, "tp_abi99", want);
	km_plugin_host_destroy(h);
}

/* A parameter type from a later SDK is refused, not bound as garbage. */
static void test_unknown_param_type(void **state) {
	char want[2048];
	km_plugin_host_t *h = host_of(tp_dir, NULL, NULL);

	(void)state;
	snprintf(want, sizeof(want),
	         "%s/tp_newtype.so: parameter 'shape' has type 42, which this kmirrord (plugin "
	         "ABI %d.%d) does not know: use a kmirrord as new as the plugin's SDK (%d.99)",
	         tp_dir, KM_PLUGIN_ABI_MAJOR, KM_PLUGIN_ABI_MINOR, KM_PLUGIN_ABI_MAJOR);
	expect_refused(h, "tp_newtype", want);
	km_plugin_host_destroy(h);
}

static void test_descriptor_too_small(void **state) {
	char want[2048];
	km_plugin_host_t *h = host_of(tp_dir, NULL, NULL);

	(void)state;
	snprintf(want, sizeof(want),
	         "%s/tp_tiny.so has a descriptor of %zu bytes, smaller than ABI %d needs (%zu): "
	         "rebuild the plugin with KM_PLUGIN_DEFINE",
	         tp_dir, offsetof(km_plugin_t, policy), KM_PLUGIN_ABI_MAJOR,
	         offsetof(km_plugin_t, stage) + sizeof(void *));
	expect_refused(h, "tp_tiny", want);
	km_plugin_host_destroy(h);
}

/* An operations table must say its size (KM_OPS): the host reads no more
 * of it than that, and refuses one too small for the kind's functions. */
static void test_ops_without_size(void **state) {
	char want[2048];
	km_plugin_host_t *h = host_of(tp_dir, NULL, NULL);

	(void)state;
	snprintf(want, sizeof(want),
	         "%s/tp_opsize.so: its km_stage_ops_t table says it has 0 bytes, fewer than ABI "
	         "%d needs (%zu): define the table with KM_OPS(km_stage_ops_t)",
	         tp_dir, KM_PLUGIN_ABI_MAJOR, offsetof(km_stage_ops_t, process) + sizeof(void *));
	expect_refused(h, "tp_opsize", want);
	km_plugin_host_destroy(h);
}

/* The kinds of ABI 2.3, refused as the others are. */
static void test_new_kinds_refused(void **state) {
	char want[2048];
	km_plugin_host_t *h = host_of(tp_dir, NULL, NULL);

	(void)state;
	snprintf(want, sizeof(want),
	         "%s/tp_group_abi1.so was built for plugin ABI 1.3, but this kmirrord has ABI "
	         "%d.%d: rebuild the plugin against this version's SDK",
	         tp_dir, KM_PLUGIN_ABI_MAJOR, KM_PLUGIN_ABI_MINOR);
	expect_refused(h, "tp_group_abi1", want);
	snprintf(want, sizeof(want),
	         "%s/tp_group_opsize.so: its km_group_filter_ops_t table says it has 0 bytes, "
	         "fewer than ABI %d needs (%zu): define the table with "
	         "KM_OPS(km_group_filter_ops_t)",
	         tp_dir, KM_PLUGIN_ABI_MAJOR,
	         offsetof(km_group_filter_ops_t, filter) + sizeof(void *));
	expect_refused(h, "tp_group_opsize", want);
	snprintf(want, sizeof(want),
	         "%s/tp_config_opsize.so: its km_config_filter_ops_t table says it has 4 bytes, "
	         "fewer than ABI %d needs (%zu): define the table with "
	         "KM_OPS(km_config_filter_ops_t)",
	         tp_dir, KM_PLUGIN_ABI_MAJOR,
	         offsetof(km_config_filter_ops_t, filter) + sizeof(void *));
	expect_refused(h, "tp_config_opsize", want);
	/* a kind from a later SDK: this host is too old, the plugin is fine */
	snprintf(want, sizeof(want),
	         "%s/tp_newkind.so is of kind 42, which this kmirrord (plugin ABI %d.%d) does not "
	         "know: use a kmirrord as new as the plugin's SDK (%d.99)",
	         tp_dir, KM_PLUGIN_ABI_MAJOR, KM_PLUGIN_ABI_MINOR, KM_PLUGIN_ABI_MAJOR);
	expect_refused(h, "tp_newkind", want);
	km_plugin_host_destroy(h);
}

static void test_name_differs_from_file(void **state) {
	char want[2048];
	km_plugin_host_t *h = host_of(tp_dir, NULL, NULL);

	(void)state;
	snprintf(want, sizeof(want),
	         "%s/tp_misnamed.so calls itself 'someone_else', not 'tp_misnamed': a plugin's "
	         "file must be named after it (someone_else.so)",
	         tp_dir);
	expect_refused(h, "tp_misnamed", want);
	km_plugin_host_destroy(h);
}

static void test_kind_without_ops(void **state) {
	char want[2048];
	km_plugin_host_t *h = host_of(tp_dir, NULL, NULL);

	(void)state;
	snprintf(want, sizeof(want),
	         "%s/tp_noops.so: its descriptor lacks create() or the operations of its kind "
	         "(1): the plugin is broken",
	         tp_dir);
	expect_refused(h, "tp_noops", want);
	km_plugin_host_destroy(h);
}

static void test_bad_name(void **state) {
	km_plugin_host_t *h = host_of(policies_dir, NULL, NULL);

	(void)state;
	expect_refused(h, "Foo-Bar",
	               "'Foo-Bar' is not a plugin name: use lower-case letters, digits and '_'");
	expect_refused(h, "", "'' is not a plugin name: use lower-case letters, digits and '_'");
	/* a path is not a name: nothing outside plugin_dirs is loaded */
	expect_refused(h, "../.libs/prefix",
	               "'../.libs/prefix' is not a plugin name: use lower-case letters, digits "
	               "and '_'");
	km_plugin_host_destroy(h);
}

/* A refused plugin is not remembered as loaded: after the fix it loads,
 * and a loaded one is loaded once. */
static void test_loaded_once(void **state) {
	km_plugin_host_t *h = host_of(policies_dir, plugins_dir, NULL);
	const km_plugin_t *p1, *p2;

	(void)state;
	p1 = expect_loaded(h, "prefix");
	p2 = expect_loaded(h, "prefix");
	assert_ptr_equal(p1, p2);
	assert_int_equal(p1->kind, KM_PLUGIN_POLICY);
	assert_non_null(p1->policy);
	km_plugin_host_destroy(h);
}

/* ---- refusals when making instances from the configuration ----------------- */

static void test_config_bad_plugin_name(void **state) {
	char *text = conf_text("    policy: Foo-Bar\n"), errstr[2048] = "";
	km_config_t *c = km_config_load_string("t.yaml", text, errstr, sizeof(errstr));

	(void)state;
	free(text);
	assert_null(c);
	assert_string_equal(errstr, "t.yaml:13:13: key 'policy': 'Foo-Bar' is not a plugin name; "
	                            "plugin names use only a-z, 0-9 and '_'");

	text = conf_text("    pipeline: [{plugin: Foo-Bar}]\n");
	assert_null(km_config_load_string("t.yaml", text, errstr, sizeof(errstr)));
	free(text);
	assert_string_equal(errstr, "t.yaml:13:25: key 'plugin': 'Foo-Bar' is not a plugin name; "
	                            "plugin names use only a-z, 0-9 and '_'");
}

static void test_instance_plugin_missing(void **state) {
	char want[4096];

	(void)state;
	snprintf(want, sizeof(want),
	         "t.yaml:13:13: flows[0].policy: plugin 'nothere' not found: no nothere.so in "
	         "plugin_dirs (%s, %s, %s)",
	         policies_dir, plugins_dir, tp_dir);
	expect_instance_refused("    policy: nothere\n", 0, KM_PLUGIN_POLICY, want);
}

static void test_instance_kind_mismatch(void **state) {
	(void)state;
	expect_instance_refused("    policy: topic_regex\n", 0, KM_PLUGIN_POLICY,
	                        "t.yaml:13:13: flows[0].policy: plugin 'topic_regex' is a topic "
	                        "filter, but a replication policy is needed here");
	expect_instance_refused("    topics: {plugin: prefix}\n", 1, KM_PLUGIN_TOPIC_FILTER,
	                        "t.yaml:13:22: flows[0].topics: plugin 'prefix' is a replication "
	                        "policy, but a topic filter is needed here");
	expect_instance_refused("    pipeline: [identity]\n", 2, KM_PLUGIN_STAGE,
	                        "t.yaml:13:16: flows[0].pipeline[0]: plugin 'identity' is a "
	                        "replication policy, but a record stage is needed here");
	expect_instance_refused("    groups: topic_regex\n", 3, KM_PLUGIN_GROUP_FILTER,
	                        "t.yaml:13:13: flows[0].groups: plugin 'topic_regex' is a topic "
	                        "filter, but a group filter is needed here");
	expect_instance_refused("    groups: {plugin: config_regex, exclude: []}\n", 3,
	                        KM_PLUGIN_GROUP_FILTER,
	                        "t.yaml:13:22: flows[0].groups: plugin 'config_regex' is a "
	                        "config-property filter, but a group filter is needed here");
	expect_instance_refused("    config.properties: {plugin: tp_group}\n", 4,
	                        KM_PLUGIN_CONFIG_FILTER,
	                        "t.yaml:13:33: flows[0].config.properties: plugin 'tp_group' is a "
	                        "group filter, but a config-property filter is needed here");
	expect_instance_refused("    topics: group_regex\n", 1, KM_PLUGIN_TOPIC_FILTER,
	                        "t.yaml:13:13: flows[0].topics: plugin 'group_regex' is a group "
	                        "filter, but a topic filter is needed here");
}

/* create() refusing a value: at the key it names (param_error), in the
 * form of the binder's own key errors; at the instance, with the plugin's
 * name, when it names none. Each case asserts the whole message. */
static void test_instance_create_fails(void **state) {
	static const struct {
		const char *keys;
		int which;
		km_plugin_kind_t kind;
		const char *want;
	} cases[] = {
	    /* the value of a key in a block mapping */
	    {"    pipeline:\n"
	     "      - plugin: tp_failing\n"
	     "        mode: broken\n",
	     2, KM_PLUGIN_STAGE,
	     "t.yaml:15:15: key 'mode': 'broken' is not supported; use ok or peered"},
	    /* in a flow mapping */
	    {"    pipeline: [{plugin: tp_failing, mode: broken}]\n", 2, KM_PLUGIN_STAGE,
	     "t.yaml:13:43: key 'mode': 'broken' is not supported; use ok or peered"},
	    /* an item of a YAML list: at the item */
	    {"    pipeline:\n"
	     "      - plugin: tp_failing\n"
	     "        tags: [ok, Bad, fine]\n",
	     2, KM_PLUGIN_STAGE,
	     "t.yaml:15:20: key 'tags': item 2: 'Bad' is not a tag; use lower-case letters a-z"},
	    /* an item of a comma-separated list: at the text */
	    {"    pipeline:\n"
	     "      - plugin: tp_failing\n"
	     "        tags: ok, fine, Bad\n",
	     2, KM_PLUGIN_STAGE,
	     "t.yaml:15:15: key 'tags': item 3: 'Bad' is not a tag; use lower-case letters a-z"},
	    /* a key not given: at the instance's mapping, which the message names */
	    {"    pipeline:\n"
	     "      - plugin: tp_failing\n"
	     "        mode: peered\n",
	     2, KM_PLUGIN_STAGE,
	     "t.yaml:14:9: flows[0].pipeline[0]: key 'peer': not given; mode 'peered' needs it "
	     "(the peer stage's name)"},
	    /* a plugin that names no key (built before ABI 2.1): at the instance */
	    {"    pipeline:\n"
	     "      - plugin: tp_failing\n"
	     "        mode: unnamed\n",
	     2, KM_PLUGIN_STAGE,
	     "t.yaml:14:9: flows[0].pipeline[0]: plugin 'tp_failing': mode 'unnamed' is not "
	     "supported; use mode: ok"},
	    /* the shipped plugins */
	    {"    policy: {plugin: prefix, separator: ''}\n", 0, KM_PLUGIN_POLICY,
	     "t.yaml:13:41: key 'separator': '' is not allowed; give a non-empty separator such "
	     "as '_', or remove the key to use '.'"},
	    {"    policy:\n"
	     "      plugin: identity\n"
	     "      separator: \"\"\n",
	     0, KM_PLUGIN_POLICY,
	     "t.yaml:15:18: key 'separator': '' is not allowed; give a non-empty separator such "
	     "as '_', or remove the key to use '.'"},
	    {"    topics:\n"
	     "      include:\n"
	     "        - 'orders\\..*'\n"
	     "        - 'bad('\n",
	     1, KM_PLUGIN_TOPIC_FILTER,
	     "t.yaml:16:11: key 'include': item 2: 'bad(' is not a valid regular expression: "
	     "missing closing parenthesis at offset 4; the items are PCRE2 patterns, each matched "
	     "against whole topic names"},
	    {"    topics: {exclude: 'tmp.*, [a-'}\n", 1, KM_PLUGIN_TOPIC_FILTER,
	     "t.yaml:13:23: key 'exclude': item 2: '[a-' is not a valid regular expression: "
	     "missing terminating ] for character class at offset 3; the items are PCRE2 "
	     "patterns, each matched against whole topic names"},
	    /* groups: {include, exclude}, group_regex's parameters */
	    {"    groups: {include: ['ok.*', 'bad(']}\n", 3, KM_PLUGIN_GROUP_FILTER,
	     "t.yaml:13:32: key 'include': item 2: 'bad(' is not a valid regular expression: "
	     "missing closing parenthesis at offset 4; the items are PCRE2 patterns, each matched "
	     "against whole consumer group ids"},
	    {"    groups:\n"
	     "      exclude:\n"
	     "        - '[z-a]'\n",
	     3, KM_PLUGIN_GROUP_FILTER,
	     "t.yaml:15:11: key 'exclude': item 1: '[z-a]' is not a valid regular expression: "
	     "range out of order in character class at offset 3; the items are PCRE2 patterns, "
	     "each matched against whole consumer group ids"},
	    {"    groups: {plugin: group_regex, exclude: 'a, b('}\n", 3, KM_PLUGIN_GROUP_FILTER,
	     "t.yaml:13:44: key 'exclude': item 2: 'b(' is not a valid regular expression: "
	     "missing closing parenthesis at offset 2; the items are PCRE2 patterns, each matched "
	     "against whole consumer group ids"},
	    /* MM2's config.properties.exclude, named as written, at the item */
	    {"    config.properties.exclude: ['ok\\..*', 'bad(']\n", 4, KM_PLUGIN_CONFIG_FILTER,
	     "t.yaml:13:43: key 'config.properties.exclude': item 2: 'bad(' is not a valid "
	     "regular expression: missing closing parenthesis at offset 4; the items are PCRE2 "
	     "patterns, each matched against whole config property names"},
	    {"    config.properties.exclude:\n"
	     "      - fine\n"
	     "      - '[z-a]'\n",
	     4, KM_PLUGIN_CONFIG_FILTER,
	     "t.yaml:15:9: key 'config.properties.exclude': item 2: '[z-a]' is not a valid "
	     "regular expression: range out of order in character class at offset 3; the items "
	     "are PCRE2 patterns, each matched against whole config property names"},
	    {"    config.properties.exclude: 'a.*, (b'\n", 4, KM_PLUGIN_CONFIG_FILTER,
	     "t.yaml:13:32: key 'config.properties.exclude': item 2: '(b' is not a valid regular "
	     "expression: missing closing parenthesis at offset 2; the items are PCRE2 patterns, "
	     "each matched against whole config property names"},
	    /* and the same list as config.properties: {exclude} */
	    {"    config.properties:\n"
	     "      exclude: [retention\\.ms, '*x']\n",
	     4, KM_PLUGIN_CONFIG_FILTER,
	     "t.yaml:14:32: key 'exclude': item 2: '*x' is not a valid regular expression: "
	     "quantifier does not follow a repeatable item at offset 0; the items are PCRE2 "
	     "patterns, each matched against whole config property names"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_instance_refused(cases[i].keys, cases[i].which, cases[i].kind,
		                        cases[i].want);
}

/* Naming a key that is not in the schema is a bug in the plugin: the host
 * aborts, as for the param_* accessors. */
static void test_instance_param_error_misnamed(void **state) {
	char path[] = "/tmp/km-plugin-host-abort.XXXXXX", out[1024];
	int fd = mkstemp(path), st;
	pid_t pid;
	ssize_t n;

	(void)state;
	assert_true(fd >= 0);
	unlink(path);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fd, STDERR_FILENO);
		expect_instance_refused("    pipeline: [{plugin: tp_failing, mode: misnamed}]\n", 2,
		                        KM_PLUGIN_STAGE, "(aborted before)");
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	n = pread(fd, out, sizeof(out) - 1, 0);
	assert_true(n > 0);
	out[n] = '\0';
	assert_string_equal(out, "kmirror: bug: parameter 'nosuch' is not in the schema\n");
	close(fd);
}

static void test_instance_unknown_param(void **state) {
	(void)state;
	expect_instance_refused(
	    "    policy: {plugin: prefix, sepparator: _}\n", 0, KM_PLUGIN_POLICY,
	    "t.yaml:13:30: key 'sepparator' is not known in flows[0].policy; "
	    "allowed keys: plugin, separator, internal.topic.separator.enabled");
}

/* The filters' parameters are bound when the instance is made. */
static void test_instance_filter_params(void **state) {
	(void)state;
	expect_instance_refused("    groups: {inclde: [a]}\n", 3, KM_PLUGIN_GROUP_FILTER,
	                        "t.yaml:13:14: key 'inclde' is not known in flows[0].groups; "
	                        "allowed keys: plugin, include, exclude");
	expect_instance_refused("    groups: {include: [a, {b: c}]}\n", 3, KM_PLUGIN_GROUP_FILTER,
	                        "t.yaml:13:27: key 'include': item 2 is a mapping; the items must "
	                        "be text");
	expect_instance_refused("    config.properties: {exclude: [a], include: [b]}\n", 4,
	                        KM_PLUGIN_CONFIG_FILTER,
	                        "t.yaml:13:39: key 'include' is not known in "
	                        "flows[0].config.properties; allowed keys: plugin, exclude");
	expect_instance_refused("    groups: {plugin: tp_group, include: [a]}\n", 3,
	                        KM_PLUGIN_GROUP_FILTER,
	                        "t.yaml:13:32: key 'include' is not known in flows[0].groups; "
	                        "allowed keys: plugin");
}

static void test_instance_refused_plugin(void **state) {
	char want[4096];

	(void)state;
	snprintf(want, sizeof(want),
	         "t.yaml:13:22: flows[0].topics: %s/tp_abi99.so was built for plugin ABI 99.3, but "
	         "this kmirrord has ABI %d.%d: rebuild the plugin against this version's SDK",
	         tp_dir, KM_PLUGIN_ABI_MAJOR, KM_PLUGIN_ABI_MINOR);
	expect_instance_refused("    topics: {plugin: tp_abi99}\n", 1, KM_PLUGIN_TOPIC_FILTER,
	                        want);
}

/* ---- plugins that load ------------------------------------------------------ */

static void test_bundled_plugins_make_instances(void **state) {
	km_config_t *c = conf_load("    topics: {include: ['x.*'], exclude: [xx]}\n"
	                           "    policy: {plugin: prefix, separator: _}\n");
	km_plugin_host_t *h = conf_host(c);
	char errstr[2048] = "", buf[256];
	km_instance_t *pol, *filt;

	(void)state;
	pol = km_instance_new(h, &c->flows[0].policy, KM_PLUGIN_POLICY, "ab", "a", "b", errstr,
	                      sizeof(errstr));
	if (!pol)
		fail_msg("%s", errstr);
	filt = km_instance_new(h, &c->flows[0].topics, KM_PLUGIN_TOPIC_FILTER, "ab", "a", "b",
	                       errstr, sizeof(errstr));
	if (!filt)
		fail_msg("%s", errstr);
	assert_string_equal(pol->ctx.name, "ab/flows[0].policy");
	assert_int_equal(
	    pol->plugin->policy->format_remote_topic(pol->data, "a", "t", buf, sizeof(buf)), KM_OK);
	assert_string_equal(buf, "a_t");
	assert_int_equal(filt->plugin->topic_filter->filter(filt->data, "x1"), KM_FILTER_ACCEPT);
	assert_int_equal(filt->plugin->topic_filter->filter(filt->data, "xx"), KM_FILTER_REJECT);
	assert_int_equal(filt->plugin->topic_filter->filter(filt->data, "y"), KM_FILTER_REJECT);
	km_instance_destroy(pol);
	km_instance_destroy(filt);
	km_plugin_host_destroy(h);
	km_config_destroy(c);

	/* identity, and the defaults (prefix, topic_regex) when nothing is named */
	c = conf_load("    policy: identity\n");
	h = conf_host(c);
	pol = km_instance_new(h, &c->flows[0].policy, KM_PLUGIN_POLICY, "ab", "a", "b", errstr,
	                      sizeof(errstr));
	if (!pol)
		fail_msg("%s", errstr);
	assert_string_equal(pol->plugin->name, "identity");
	assert_int_equal(
	    pol->plugin->policy->format_remote_topic(pol->data, "a", "t", buf, sizeof(buf)), KM_OK);
	assert_string_equal(buf, "t");
	filt = km_instance_new(h, &c->flows[0].topics, KM_PLUGIN_TOPIC_FILTER, "ab", "a", "b",
	                       errstr, sizeof(errstr));
	if (!filt)
		fail_msg("%s", errstr);
	assert_string_equal(filt->plugin->name, "topic_regex");
	km_instance_destroy(pol);
	km_instance_destroy(filt);
	km_plugin_host_destroy(h);
	km_config_destroy(c);

	c = conf_load("    pipeline: [{plugin: tp_failing, mode: ok}]\n");
	h = conf_host(c);
	pol = km_instance_new(h, &c->flows[0].policy, KM_PLUGIN_POLICY, "ab", "a", "b", errstr,
	                      sizeof(errstr));
	if (!pol)
		fail_msg("%s", errstr);
	assert_int_equal(
	    pol->plugin->policy->format_remote_topic(pol->data, "a", "t", buf, sizeof(buf)), KM_OK);
	assert_string_equal(buf, "a.t");
	filt = km_instance_new(h, &c->flows[0].pipeline[0], KM_PLUGIN_STAGE, "ab", "a", "b", errstr,
	                       sizeof(errstr));
	if (!filt)
		fail_msg("%s", errstr);
	assert_string_equal(filt->ctx.name, "ab/flows[0].pipeline[0]");
	km_instance_destroy(pol);
	km_instance_destroy(filt);
	km_plugin_host_destroy(h);
	km_config_destroy(c);
}

/* The group and config-property filters: the defaults (MM2's) when
 * nothing is named, their parameters from groups: and from both spellings
 * of config.properties, and plugins of one's own. */
static km_instance_t *filter_new(km_plugin_host_t *h, const km_config_t *c, int which) {
	char errstr[2048] = "";
	km_instance_t *inst = km_instance_new(
	    h, ref_of(c, which), which == 3 ? KM_PLUGIN_GROUP_FILTER : KM_PLUGIN_CONFIG_FILTER,
	    "ab", "a", "b", errstr, sizeof(errstr));

	if (!inst)
		fail_msg("%s", errstr);
	return inst;
}

static int group_ok(const km_instance_t *g, const char *group) {
	return g->plugin->group_filter->filter(g->data, group) == KM_FILTER_ACCEPT;
}

static int config_ok(const km_instance_t *cf, const char *name) {
	return cf->plugin->config_filter->filter(cf->data, "t", name) == KM_FILTER_ACCEPT;
}

static void test_filter_instances(void **state) {
	static const char *const flows[] = {
	    "",
	    "    groups: {include: ['app-.*'], exclude: [app-tmp]}\n"
	    "    config.properties.exclude: ['retention\\..*']\n",
	    "    groups: {plugin: group_regex, exclude: []}\n"
	    "    config.properties: {exclude: []}\n",
	    "    groups: tp_group\n"
	    "    config.properties: {plugin: tp_config}\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(flows) / sizeof(flows[0]); i++) {
		km_config_t *c = conf_load(flows[i]);
		km_plugin_host_t *h = conf_host(c);
		km_instance_t *g = filter_new(h, c, 3), *cf = filter_new(h, c, 4);

		assert_string_equal(g->ctx.name, "ab/flows[0].groups");
		assert_string_equal(cf->ctx.name, "ab/flows[0].config.properties");
		switch (i) {
		case 0: /* MM2's defaults */
			assert_string_equal(g->plugin->name, "group_regex");
			assert_string_equal(cf->plugin->name, "config_regex");
			assert_true(group_ok(g, "orders-app"));
			assert_false(group_ok(g, "console-consumer-123"));
			assert_false(group_ok(g, "connect-sink"));
			assert_false(group_ok(g, "__internal"));
			assert_true(config_ok(cf, "retention.ms"));
			assert_false(config_ok(cf, "min.insync.replicas"));
			assert_false(config_ok(cf, "leader.replication.throttled.replicas"));
			break;
		case 1: /* groups: and MM2's flow-level spelling */
			assert_true(group_ok(g, "app-1"));
			assert_false(group_ok(g, "app-tmp"));
			assert_false(group_ok(g, "other"));
			assert_false(config_ok(cf, "retention.ms"));
			assert_true(config_ok(cf, "min.insync.replicas")); /* replaced */
			break;
		case 2: /* empty exclude lists */
			assert_true(group_ok(g, "console-consumer-1"));
			assert_true(config_ok(cf, "min.insync.replicas"));
			break;
		default: /* one's own */
			assert_string_equal(g->plugin->name, "tp_group");
			assert_string_equal(cf->plugin->name, "tp_config");
			assert_true(group_ok(g, "yes"));
			assert_false(group_ok(g, "no"));
			assert_true(config_ok(cf, "retention.ms"));
			assert_false(config_ok(cf, "x.y"));
		}
		km_instance_destroy(g);
		km_instance_destroy(cf);
		km_plugin_host_destroy(h);
		km_config_destroy(c);
	}
}

/* A descriptor from an older minor, ending exactly at the last field the
 * host needs, and one from a newer minor with fields the host does not
 * know: both load, the host's copy zero-extended or cut to its own size. */
static void test_compatible_descriptors(void **state) {
	km_config_t *c = conf_load("    topics: tp_oldminor\n");
	km_plugin_host_t *h = conf_host(c);
	char errstr[2048] = "";
	const km_plugin_t *p;
	km_instance_t *inst;

	(void)state;
	p = expect_loaded(h, "tp_oldminor");
	assert_int_equal(p->abi_minor, 0);
	assert_int_equal(p->size, offsetof(km_plugin_t, stage) + sizeof(void *));
	assert_int_equal(p->kind, KM_PLUGIN_TOPIC_FILTER);
	assert_null(p->stage);
	assert_null(p->policy);
	inst = km_instance_new(h, &c->flows[0].topics, KM_PLUGIN_TOPIC_FILTER, "ab", "a", "b",
	                       errstr, sizeof(errstr));
	if (!inst)
		fail_msg("%s", errstr);
	assert_int_equal(inst->plugin->topic_filter->filter(inst->data, "yes"), KM_FILTER_ACCEPT);
	assert_int_equal(inst->plugin->topic_filter->filter(inst->data, "no"), KM_FILTER_REJECT);
	km_instance_destroy(inst);

	/* an operations table from an older minor: what it lacks reads as NULL
	 * (the byte past its size is never read) */
	p = expect_loaded(h, "tp_oldstage");
	assert_int_equal(p->kind, KM_PLUGIN_STAGE);
	assert_non_null(p->stage->process);
	assert_null(p->stage->tick);

	p = expect_loaded(h, "tp_newer");
	assert_int_equal(p->abi_minor, 9);
	assert_true(p->size > sizeof(km_plugin_t));
	assert_string_equal(p->version, "9.0");
	assert_int_equal(p->topic_filter->filter(NULL, "yes"), KM_FILTER_ACCEPT);
	km_plugin_host_destroy(h);
	km_config_destroy(c);
}

/* The host table grows at its end only: a plugin built against ABI 2.0
 * finds every function it knows where it was, and one built against 2.1
 * given a 2.0 table (by its size) sees that param_error is not there. */
static void test_host_table_grows_at_end(void **state) {
	km_host_api_t v2_0 = km_host_api;

	(void)state;
	assert_int_equal(km_host_api.abi_major, KM_PLUGIN_ABI_MAJOR);
	assert_int_equal(km_host_api.abi_minor, KM_PLUGIN_ABI_MINOR);
	assert_true(KM_PLUGIN_ABI_MINOR >= 1);
	assert_int_equal(km_host_api.size, sizeof(km_host_api_t));
	assert_true(offsetof(km_host_api_t, param_error) >=
	            offsetof(km_host_api_t, target_partitions) + sizeof(void *));
	assert_true(KM_HOST_HAS(&km_host_api, param_error));
	v2_0.size = (uint32_t)offsetof(km_host_api_t, param_error);
	assert_false(KM_HOST_HAS(&v2_0, param_error));
	assert_true(KM_HOST_HAS(&v2_0, target_partitions));
	/* ABI 2.3 appended two kinds' operations to the descriptor, after
	 * those a 2.0 plugin has */
	assert_true(offsetof(km_plugin_t, group_filter) >=
	            offsetof(km_plugin_t, stage) + sizeof(void *));
	assert_true(offsetof(km_plugin_t, config_filter) > offsetof(km_plugin_t, group_filter));
	assert_int_equal(KM_PLUGIN_GROUP_FILTER, 4);
	assert_int_equal(KM_PLUGIN_CONFIG_FILTER, 5);
}

/* ---- kmirrord --check-config ------------------------------------------------- */

typedef struct run_result {
	int status;
	char out[8192], err[8192];
} run_result_t;

static void slurp_into(const char *path, char *buf, size_t size) {
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, size - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

/* Runs kmirrord with @p args (NULL-terminated, at most 7), output kept in
 * @p dir. */
static void run_kmirrord(const char *dir, const char *const *args, run_result_t *r) {
	char bin[1200], out[600], err[600];
	int st;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/core/kmirrord", builddir);
	snprintf(out, sizeof(out), "%s/stdout", dir);
	snprintf(err, sizeof(err), "%s/stderr", dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (o < 0 || e < 0)
			_exit(126);
		dup2(o, 1);
		dup2(e, 2);
		{
			char *argv[9] = {bin};
			for (int i = 0; i < 7 && args[i]; i++)
				argv[i + 1] = (char *)args[i];
			execv(bin, argv);
		}
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	r->status = WEXITSTATUS(st);
	if (r->status == 127)
		fail_msg("cannot run %s", bin);
	slurp_into(out, r->out, sizeof(r->out));
	slurp_into(err, r->err, sizeof(r->err));
}

/* Runs `kmirrord --check-config -c @p conf_path`. */
static void run_check(const char *dir, const char *conf_path, run_result_t *r) {
	const char *args[] = {"--check-config", "-c", conf_path, NULL};

	run_kmirrord(dir, args, r);
}

/* @p pattern with each "@CONF@" replaced by @p path. */
static void subst_conf(char *out, size_t size, const char *pattern, const char *path) {
	const char *at;
	size_t n = 0;

	while ((at = strstr(pattern, "@CONF@")) && n < size) {
		n += (size_t)snprintf(out + n, size - n, "%.*s%s", (int)(at - pattern), pattern,
		                      path);
		pattern = at + 6;
	}
	if (n < size)
		snprintf(out + n, size - n, "%s", pattern);
}

static void check_config(const char *text, int want_status, const char *want_stderr,
                         const char *want_stdout) {
	char d[512], path[600], want[4096];
	run_result_t *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	tmpdir_new(d, sizeof(d));
	snprintf(path, sizeof(path), "%s/kmirror.yaml", d);
	write_file(path, text);
	run_check(d, path, r);
	if (r->status != want_status)
		fail_msg("exit status %d, not %d; stderr: %s", r->status, want_status, r->err);
	if (want_stderr) {
		subst_conf(want, sizeof(want), want_stderr, path);
		if (!strstr(r->err, want))
			fail_msg("stderr lacks \"%s\":\n%s", want, r->err);
	}
	if (want_stdout) {
		subst_conf(want, sizeof(want), want_stdout, path);
		if (!strstr(r->out, want))
			fail_msg("stdout lacks \"%s\":\n%s", want, r->out);
	}
	free(r);
	tmpdir_remove(d);
}

static void test_check_config_bad_yaml(void **state) {
	(void)state;
	check_config("clusters: {a: 1\n", 1,
	             "kmirrord: @CONF@:2:1: YAML syntax error: did not find expected ',' or '}' "
	             "(while parsing a flow mapping at 1:11)\n",
	             NULL);
}

/* A CA file that does not exist: kmirrord says so at once, with the
 * flow, the key and what the file must be, instead of starting and
 * failing to make its clients. */
static void test_check_config_missing_ca(void **state) {
	char *text = conf_text("    producer:\n      ssl.ca.location: /nonexistent/km/ca.pem\n");

	(void)state;
	check_config(text, 1,
	             "kmirrord: @CONF@:14:24: flows[0].producer: key 'ssl.ca.location': cannot "
	             "read '/nonexistent/km/ca.pem': No such file or directory; name a file "
	             "kmirrord can read: the PEM file (or directory) of the CA that signed the "
	             "brokers' certificates, or 'probe'",
	             NULL);
	free(text);
}

static void test_check_config_unknown_key(void **state) {
	char *text = conf_text("    strat: latest\n");

	(void)state;
	check_config(
	    text, 1,
	    "kmirrord: @CONF@:13:5: key 'strat' is not known in flows[0]; allowed keys: ", NULL);
	free(text);
}

/* A replication factor librdkafka's CreateTopics refuses is refused here,
 * with the range, not retried forever at run time. */
static void test_check_config_replication_factor(void **state) {
	char *text = conf_text("    replication.factor: 20000\n");

	(void)state;
	check_config(
	    text, 1,
	    "kmirrord: @CONF@:13:25: key 'replication.factor': '20000' is out of range; it "
	    "must be between -1 and 10000\n",
	    NULL);
	free(text);
}

static void test_check_config_missing_plugin(void **state) {
	char *text = conf_text("    policy: nothere\n"), want[4096];

	(void)state;
	snprintf(
	    want, sizeof(want),
	    "kmirrord: @CONF@:13:13: flows[0].policy: plugin 'nothere' not found: no nothere.so "
	    "in plugin_dirs (%s, %s, %s)\n",
	    policies_dir, plugins_dir, tp_dir);
	check_config(text, 1, want, NULL);
	free(text);

	text = conf_text("    pipeline: [{plugin: tp_failing, mode: unnamed}]\n");
	check_config(
	    text, 1,
	    "kmirrord: @CONF@:13:16: flows[0].pipeline[0]: plugin 'tp_failing': mode 'unnamed' "
	    "is not supported; use mode: ok\n",
	    NULL);
	free(text);
}

/* A value a plugin's create() refuses: the message points at the key, as
 * the configuration's own key errors do, and the exit status is 1. */
static void test_check_config_plugin_refuses_value(void **state) {
	static const struct {
		const char *keys, *want;
	} cases[] = {
	    {"    pipeline: [{plugin: tp_failing, mode: broken}]\n",
	     "kmirrord: @CONF@:13:43: key 'mode': 'broken' is not supported; use ok or peered\n"},
	    {"    pipeline: [{plugin: tp_failing, mode: peered}]\n",
	     "kmirrord: @CONF@:13:16: flows[0].pipeline[0]: key 'peer': not given; mode 'peered' "
	     "needs it (the peer stage's name)\n"},
	    {"    policy: {plugin: prefix, separator: ''}\n",
	     "kmirrord: @CONF@:13:41: key 'separator': '' is not allowed; give a non-empty "
	     "separator such as '_', or remove the key to use '.'\n"},
	    {"    topics: {include: [a, 'b(']}\n",
	     "kmirrord: @CONF@:13:27: key 'include': item 2: 'b(' is not a valid regular "
	     "expression: missing closing parenthesis at offset 2; the items are PCRE2 patterns, "
	     "each matched against whole topic names\n"},
	    /* the group and config-property filters */
	    {"    groups: {exclude: [a, 'b(']}\n",
	     "kmirrord: @CONF@:13:27: key 'exclude': item 2: 'b(' is not a valid regular "
	     "expression: missing closing parenthesis at offset 2; the items are PCRE2 patterns, "
	     "each matched against whole consumer group ids\n"},
	    {"    config.properties.exclude: ['(x']\n",
	     "kmirrord: @CONF@:13:33: key 'config.properties.exclude': item 1: '(x' is not a "
	     "valid regular expression: missing closing parenthesis at offset 2; the items are "
	     "PCRE2 patterns, each matched against whole config property names\n"},
	    {"    groups: tp_config\n",
	     "kmirrord: @CONF@:13:13: flows[0].groups: plugin 'tp_config' is a config-property "
	     "filter, but a group filter is needed here\n"},
	    /* the bundled transforms (tests/unit/test_transforms.c has every case) */
	    {"    pipeline: [{plugin: header_insert, name: h, value: 'x%{nope}'}]\n",
	     "kmirrord: @CONF@:13:56: key 'value': unknown field %{nope}; the fields are "
	     "%{source.cluster}, %{source.topic}, %{source.partition}, %{source.offset} and "
	     "%{timestamp} (a literal '%{' is %%{)\n"},
	    {"    pipeline: [{plugin: header_drop, names: [a, '']}]\n",
	     "kmirrord: @CONF@:13:49: key 'names': item 2: a header name cannot be empty; "
	     "give the names of the headers to remove\n"},
	    {"    pipeline: [{plugin: timestamp, mode: shift}]\n",
	     "kmirrord: @CONF@:13:16: flows[0].pipeline[0]: key 'shift': mode shift "
	     "needs it; give a signed duration, e.g. shift: -1h\n"},
	    {"    pipeline: [{plugin: filter, action: keep}]\n",
	     "kmirrord: @CONF@:13:41: key 'action': there is no condition to match; give "
	     "at least one of header (with header.value or header.regex), key.regex, value.null, "
	     "older_than\n"},
	    {"    pipeline: [{plugin: topic_router, regex: 'a\\.(.*)', replacement: 'b.$2'}]\n",
	     "kmirrord: @CONF@:13:70: key 'replacement': $2 refers to group 2, but the "
	     "regex has 1 group; use $0..$1\n"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = conf_text(cases[i].keys);

		check_config(text, 1, cases[i].want, NULL);
		free(text);
	}
}

static void test_check_config_good(void **state) {
	char *text = conf_text("    topics: {include: ['orders\\..*']}\n"
	                       "    policy: {plugin: prefix, separator: _}\n"
	                       "  - name: ba\n"
	                       "    source: b\n"
	                       "    target: a\n"
	                       "    policy: identity\n"
	                       "    enabled: false\n");

	(void)state;
	check_config(text, 0, NULL, "@CONF@: configuration OK (2 cluster(s), 1 flow(s) enabled)\n");
	free(text);
}

/* Bad command lines: each refused with its message and exit status 1. */
static void test_bad_command_lines(void **state) {
	static const struct {
		const char *args[4];
		const char *want;
	} cases[] = {
	    {{"-c", "/nonexistent/kmirror.yaml", NULL},
	     "kmirrord: /nonexistent/kmirror.yaml: cannot be read: No such file or directory"},
	    {{"-c", "/dev/null", "extra", NULL},
	     "kmirrord: unexpected argument 'extra' (see --help)"},
	    {{"--bogus", NULL}, "unrecognized option '--bogus'"},
	    {{"-c", NULL}, "option requires an argument -- 'c'"},
	};
	char d[512];

	(void)state;
	tmpdir_new(d, sizeof(d));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_result_t *r = calloc(1, sizeof(*r));
		assert_non_null(r);
		run_kmirrord(d, cases[i].args, r);
		if (r->status != 1 || !strstr(r->err, cases[i].want))
			fail_msg("case %zu: exit %d, stderr: %s (wanted \"%s\")", i, r->status,
			         r->err, cases[i].want);
		free(r);
	}
	tmpdir_remove(d);
}

/* --version names the malloc in use; a build configured with jemalloc
 * must really allocate with it (kmirrord checks by allocating). */
static void test_version_names_malloc(void **state) {
	const char *args[] = {"--version", NULL};
	char want[256];
	run_result_t *r = calloc(1, sizeof(*r));
	char d[512];

	(void)state;
	assert_non_null(r);
	tmpdir_new(d, sizeof(d));
	run_kmirrord(d, args, r);
	assert_int_equal(r->status, 0);
	snprintf(want, sizeof(want), "kmirrord %s (librdkafka ", PACKAGE_VERSION);
	if (strncmp(r->out, want, strlen(want)))
		fail_msg("--version printed: %s", r->out);
#ifdef HAVE_JEMALLOC
	if (!strstr(r->out, ", malloc: jemalloc 5."))
		fail_msg("configured with jemalloc, but --version printed: %s", r->out);
#else
	if (!strstr(r->out, ", malloc: system)"))
		fail_msg("configured without jemalloc, but --version printed: %s", r->out);
#endif
	free(r);
	tmpdir_remove(d);
}

int main(void) {
	const char *b = getenv("KM_TEST_BUILDDIR");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_not_found_lists_dirs),
	    cmocka_unit_test(test_found_twice),
	    cmocka_unit_test(test_world_writable_file),
	    cmocka_unit_test(test_world_writable_dir),
	    cmocka_unit_test(test_not_a_shared_object),
	    cmocka_unit_test(test_no_symbol),
	    cmocka_unit_test(test_abi_major_mismatch),
	    cmocka_unit_test(test_unknown_param_type),
	    cmocka_unit_test(test_descriptor_too_small),
	    cmocka_unit_test(test_ops_without_size),
	    cmocka_unit_test(test_new_kinds_refused),
	    cmocka_unit_test(test_name_differs_from_file),
	    cmocka_unit_test(test_kind_without_ops),
	    cmocka_unit_test(test_bad_name),
	    cmocka_unit_test(test_loaded_once),
	    cmocka_unit_test(test_config_bad_plugin_name),
	    cmocka_unit_test(test_instance_plugin_missing),
	    cmocka_unit_test(test_instance_kind_mismatch),
	    cmocka_unit_test(test_instance_create_fails),
	    cmocka_unit_test(test_instance_param_error_misnamed),
	    cmocka_unit_test(test_instance_unknown_param),
	    cmocka_unit_test(test_instance_filter_params),
	    cmocka_unit_test(test_instance_refused_plugin),
	    cmocka_unit_test(test_bundled_plugins_make_instances),
	    cmocka_unit_test(test_filter_instances),
	    cmocka_unit_test(test_compatible_descriptors),
	    cmocka_unit_test(test_host_table_grows_at_end),
	    cmocka_unit_test(test_check_config_bad_yaml),
	    cmocka_unit_test(test_check_config_unknown_key),
	    cmocka_unit_test(test_check_config_missing_ca),
	    cmocka_unit_test(test_check_config_replication_factor),
	    cmocka_unit_test(test_check_config_missing_plugin),
	    cmocka_unit_test(test_check_config_plugin_refuses_value),
	    cmocka_unit_test(test_check_config_good),
	    cmocka_unit_test(test_bad_command_lines),
	    cmocka_unit_test(test_version_names_malloc),
	};

	if (!b || !*b) {
		fprintf(stderr, "KM_TEST_BUILDDIR is not set: run this test through make\n");
		return 1;
	}
	snprintf(builddir, sizeof(builddir), "%s", b);
	snprintf(policies_dir, sizeof(policies_dir), "%s/policies/.libs", builddir);
	snprintf(plugins_dir, sizeof(plugins_dir), "%s/plugins/.libs", builddir);
	snprintf(tp_dir, sizeof(tp_dir), "%s/tests/plugins/.libs", builddir);
	/* the loader's "loaded ..." lines are not what these tests look at */
	km_log_level = KM_LOG_WARNING;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
