/* Unit tests: the YAML tree (km_yaml_load*) and schema binding
 * (km_params_bind) of core/yaml_tree.c and core/params.c. Each bad input asserts the whole message:
 * position and wording. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "params.h"

#define SECRET "s3cr3t-Value-9q"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static km_node_t *load_ok(const char *text) {
	char err[1024] = "";
	km_node_t *n = km_yaml_load_string("t.yaml", text, err, sizeof(err));
	if (!n)
		fail_msg("refused: %s", err);
	return n;
}

static void expect_load_err(const char *text, const char *want) {
	char err[1024] = "";
	km_node_t *n = km_yaml_load_string("t.yaml", text, err, sizeof(err));
	if (n) {
		km_node_free(n);
		fail_msg("accepted: %s", text);
	}
	assert_string_equal(err, want);
	assert_null(strstr(err, SECRET));
}

/* A temporary file holding @p text; the caller unlinks and frees it. */
static char *tmp_file(const char *text) {
	char *path = strdup("/tmp/km_test_conf_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* ------------------------------------------------------------------------ */
/* The tree                                                                  */
/* ------------------------------------------------------------------------ */

static void test_tree_positions(void **state) {
	km_node_t *root = load_ok("# comment\n"
	                          "a: 1\n"
	                          "b:\n"
	                          "  - x\n"
	                          "  - {c: d}\n"
	                          "e: \"quoted\"\n");
	char pos[64];

	assert_int_equal(root->type, KM_NODE_MAP);
	assert_int_equal(root->cnt, 3);
	assert_string_equal(km_node_pos(root, pos, sizeof(pos)), "t.yaml:2:1");
	assert_string_equal(root->keys[0]->scalar, "a");
	assert_string_equal(km_node_pos(km_node_get(root, "a"), pos, sizeof(pos)), "t.yaml:2:4");
	const km_node_t *b = km_node_get(root, "b");
	assert_int_equal(b->type, KM_NODE_SEQ);
	assert_int_equal(b->cnt, 2);
	assert_string_equal(km_node_pos(b->vals[0], pos, sizeof(pos)), "t.yaml:4:5");
	assert_int_equal(b->vals[1]->type, KM_NODE_MAP);
	assert_string_equal(km_node_get(b->vals[1], "c")->scalar, "d");
	assert_string_equal(km_node_pos(km_node_key(b->vals[1], "c"), pos, sizeof(pos)),
	                    "t.yaml:5:6");
	assert_string_equal(km_node_get(root, "e")->scalar, "quoted");
	assert_null(km_node_get(root, "zz"));
	assert_string_equal(km_node_type_name(b), "a list");
	assert_string_equal(km_node_type_name(root), "a mapping");
	assert_string_equal(km_node_type_name(b->vals[0]), "a scalar");
	km_node_free(root);
}

static void test_tree_nulls(void **state) {
	km_node_t *root = load_ok("a:\nb: ~\nc: null\nd: NULL\ne: \"null\"\nf: ''\n");
	assert_true(km_node_get(root, "a")->null);
	assert_true(km_node_get(root, "b")->null);
	assert_true(km_node_get(root, "c")->null);
	assert_true(km_node_get(root, "d")->null);
	assert_false(km_node_get(root, "e")->null);
	assert_string_equal(km_node_get(root, "e")->scalar, "null");
	assert_false(km_node_get(root, "f")->null);
	assert_string_equal(km_node_get(root, "f")->scalar, "");
	km_node_free(root);
}

static void test_tree_env_expansion(void **state) {
	setenv("KM_T_USER", "alice", 1);
	setenv("KM_T_PASS", SECRET, 1);
	km_node_t *root = load_ok("plain: no refs here $HOME $ {x}\n"
	                          "one: ${env:KM_T_PASS}\n"
	                          "two: \"${env:KM_T_USER}:${env:KM_T_PASS}@host\"\n"
	                          "esc: $${env:KM_T_USER} and $$ and $${\n"
	                          "list: [a, '${env:KM_T_USER}']\n");
	const km_node_t *n = km_node_get(root, "plain");
	assert_string_equal(n->scalar, "no refs here $HOME $ {x}");
	assert_false(n->secret);
	n = km_node_get(root, "one");
	assert_string_equal(n->scalar, SECRET);
	assert_true(n->secret);
	n = km_node_get(root, "two");
	assert_string_equal(n->scalar, "alice:" SECRET "@host");
	assert_true(n->secret);
	n = km_node_get(root, "esc");
	assert_string_equal(n->scalar, "${env:KM_T_USER} and $$ and ${");
	assert_false(n->secret);
	n = km_node_get(root, "list");
	assert_false(n->vals[0]->secret);
	assert_true(n->vals[1]->secret);
	assert_string_equal(n->vals[1]->scalar, "alice");
	km_node_free(root);
}

static void test_tree_file_secret(void **state) {
	char *secret = tmp_file(SECRET "\n");
	char *crlf = tmp_file("line1\nline2\r\n");
	char *text = NULL;
	assert_true(asprintf(&text, "a: ${file:%s}\nb: x-${file:%s}-y\n", secret, crlf) > 0);
	km_node_t *root = load_ok(text);
	assert_string_equal(km_node_get(root, "a")->scalar, SECRET);
	assert_true(km_node_get(root, "a")->secret);
	assert_string_equal(km_node_get(root, "b")->scalar, "x-line1\nline2-y");
	km_node_free(root);
	free(text);
	unlink(secret);
	unlink(crlf);
	free(secret);
	free(crlf);
}

/* ${file:} paths that are not absolute are read next to the config file. */
static void test_load_file_relative_secret(void **state) {
	char dir[] = "/tmp/km_test_confdir_XXXXXX";
	char path[128], spath[128], err[512] = "";
	assert_non_null(mkdtemp(dir));
	snprintf(spath, sizeof(spath), "%s/pw.txt", dir);
	snprintf(path, sizeof(path), "%s/k.yaml", dir);
	FILE *fp = fopen(spath, "w");
	fputs("hunter2\n", fp);
	fclose(fp);
	fp = fopen(path, "w");
	fputs("pw: ${file:pw.txt}\n", fp);
	fclose(fp);

	km_node_t *root = km_yaml_load(path, err, sizeof(err));
	if (!root)
		fail_msg("%s", err);
	assert_string_equal(km_node_get(root, "pw")->scalar, "hunter2");
	assert_ptr_equal(km_node_get(root, "pw")->file, root->file);
	assert_string_equal(root->file, path);
	km_node_free(root);
	unlink(spath);
	unlink(path);
	rmdir(dir);
}

static void test_tree_equal(void **state) {
	km_node_t *a = load_ok("x: 1\ny: [a, {b: c}]\nz:\n");
	km_node_t *b = load_ok("\n\nx: 1\ny:\n  - a\n  - b: c\nz: ~\n");
	km_node_t *c = load_ok("x: 1\ny: [a, {b: d}]\nz:\n");
	km_node_t *d = load_ok("y: [a, {b: c}]\nx: 1\nz:\n");
	km_node_t *e = load_ok("x: 1\ny: [a, {b: c}]\nz: ''\n");
	assert_true(km_node_equal(a, b));
	assert_false(km_node_equal(a, c));
	assert_false(km_node_equal(a, d));
	assert_false(km_node_equal(a, e));
	assert_false(km_node_equal(a, NULL));
	assert_true(km_node_equal(NULL, NULL));
	assert_true(km_node_equal(km_node_get(a, "y"), km_node_get(b, "y")));
	km_node_free(a);
	km_node_free(b);
	km_node_free(c);
	km_node_free(d);
	km_node_free(e);
}

/* ------------------------------------------------------------------------ */
/* Refused YAML                                                              */
/* ------------------------------------------------------------------------ */

static void test_err_syntax(void **state) {
	expect_load_err("a: [1, 2\nb: 3\n",
	                "t.yaml:2:2: YAML syntax error: did not find expected ',' or ']' (while "
	                "parsing a flow sequence at 1:4)");
	expect_load_err("a: b: c\n",
	                "t.yaml:1:5: YAML syntax error: mapping values are not allowed in this "
	                "context");
}

static void test_err_duplicate_key(void **state) {
	expect_load_err("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: key 'a' appears twice (first at 1:1)");
	expect_load_err("m:\n  x: 1\n  x: 2\n", "t.yaml:3:3: key 'x' appears twice (first at 2:3)");
}

static void test_err_non_scalar_key(void **state) {
	expect_load_err("? [a, b]\n: 1\n",
	                "t.yaml:1:3: a mapping key must be a scalar, not a list");
	expect_load_err("{a: 1}: 2\n", "t.yaml:1:1: a mapping key must be a scalar, not a mapping");
}

static void test_err_anchor_alias(void **state) {
	expect_load_err("a: &x 1\nb: *x\n",
	                "t.yaml:1:4: anchors (&x) are not supported; write the value out in full");
	expect_load_err("a: *y\n",
	                "t.yaml:1:4: aliases (*y) are not supported; write the value out in full");
}

static void test_err_two_documents(void **state) {
	expect_load_err("a: 1\n---\nb: 2\n",
	                "t.yaml:2:1: a second YAML document ('---') is not allowed; put "
	                "everything in one mapping");
}

static void test_err_empty(void **state) {
	const char *want =
	    "t.yaml:1:1: the file holds no settings; it must be a mapping of keys (key: value)";
	expect_load_err("", want);
	expect_load_err("# only a comment\n\n", want);
	expect_load_err("---\n",
	                "t.yaml:2:1: the file holds no settings; it must be a mapping of keys "
	                "(key: value)");
}

static void test_err_top_level_not_mapping(void **state) {
	expect_load_err("- a\n- b\n",
	                "t.yaml:1:1: the top level is a list; it must be a mapping of keys (key: "
	                "value)");
	expect_load_err("hello\n", "t.yaml:1:1: the top level is a scalar; it must be a mapping of "
	                           "keys (key: value)");
}

static void test_err_env_unset(void **state) {
	unsetenv("KM_T_UNSET");
	expect_load_err("x: 1\npw: \"a${env:KM_T_UNSET}\"\n",
	                "t.yaml:2:5: key 'pw': ${env:KM_T_UNSET}: the environment variable "
	                "KM_T_UNSET is not set");
	expect_load_err("l:\n  - ${env:KM_T_UNSET}\n",
	                "t.yaml:2:5: key 'l': ${env:KM_T_UNSET}: the environment variable "
	                "KM_T_UNSET is not set");
	expect_load_err("x: ${env:A-B}\n",
	                "t.yaml:1:4: key 'x': ${env:A-B}: 'A-B' is not an environment variable "
	                "name; use letters, digits and '_'");
}

static void test_err_bad_reference(void **state) {
	expect_load_err("x: ${env:HOME\n",
	                "t.yaml:1:4: key 'x': '${' is not closed with '}'; write ${env:NAME} or "
	                "${file:PATH}, or $${ for a literal ${");
	expect_load_err("x: ${vault:a/b}\n",
	                "t.yaml:1:4: key 'x': '${vault:a/b}' is not a reference kmirror knows; "
	                "use ${env:NAME} or ${file:PATH}, or $${ for a literal ${");
	expect_load_err("x: ${env:}\n", "t.yaml:1:4: key 'x': '${env:}' is not a reference "
	                                "kmirror knows; use ${env:NAME} or ${file:PATH}, or $${ "
	                                "for a literal ${");
}

static void test_err_secret_file_unreadable(void **state) {
	expect_load_err("a: 1\nb: ${file:/nonexistent/km/secret}\n",
	                "t.yaml:2:4: key 'b': ${file:/nonexistent/km/secret}: the file cannot be "
	                "read: No such file or directory");
	expect_load_err("b: ${file:/tmp}\n",
	                "t.yaml:1:4: key 'b': ${file:/tmp}: the file cannot be read: Is a "
	                "directory");
}

static void test_err_config_file_unreadable(void **state) {
	char err[256];
	assert_null(km_yaml_load("/nonexistent/km.yaml", err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/km.yaml: cannot be read: No such file or directory");

	char *path = tmp_file("a: 1\nb: [\n");
	char *want = NULL;
	assert_null(km_yaml_load(path, err, sizeof(err)));
	assert_true(asprintf(&want,
	                     "%s:3:1: YAML syntax error: did not find expected node content "
	                     "(while parsing a flow node at 3:1)",
	                     path) > 0);
	assert_string_equal(err, want);
	free(want);
	unlink(path);
	free(path);
}

static void test_err_truncated_message(void **state) {
	char err[16];
	assert_null(km_yaml_load_string("t.yaml", "a: 1\na: 2\n", err, sizeof(err)));
	assert_string_equal(err, "t.yaml:2:1: key");
}

/* ------------------------------------------------------------------------ */
/* Binding                                                                   */
/* ------------------------------------------------------------------------ */

/* clang-format off */
static const km_param_t schema[] = {
    {.name = "name", .type = KM_PARAM_STRING, .flags = KM_PARAM_F_REQUIRED, .doc = "the name"},
    {.name = "start", .type = KM_PARAM_ENUM, .def = "earliest", .choices = "earliest|latest",
     .doc = "where to start"},
    {.name = "count", .type = KM_PARAM_INT, .def = "10", .min = 1, .max = 100, .doc = "how many"},
    {.name = "any", .type = KM_PARAM_INT},
    {.name = "on", .type = KM_PARAM_BOOL, .def = "true"},
    {.name = "items", .type = KM_PARAM_LIST, .def = "a, b,,c "},
    {.name = "every", .type = KM_PARAM_DURATION, .def = "5s", .min = 100, .max = INT64_MAX},
    {.name = "timeout", .type = KM_PARAM_DURATION, .def = "1m", .min = 1000, .max = 3600000},
    {.name = "size", .type = KM_PARAM_SIZE, .def = "64MB", .min = 1024 * 1024,
     .max = INT64_MAX},
    {.name = "password", .type = KM_PARAM_STRING, .flags = KM_PARAM_F_SENSITIVE},
    {.name = "pin", .type = KM_PARAM_INT, .flags = KM_PARAM_F_SENSITIVE, .min = 0, .max = 9999},
    {0},
};
/* clang-format on */

static const char *const ignore[] = {"plugin", NULL};

static km_params_t *bind_text(const char *text, km_node_t **rootp, char *err, size_t size) {
	*rootp = load_ok(text);
	return km_params_bind(schema, *rootp, "test", ignore, err, size);
}

static void expect_bind_err(const char *text, const char *want) {
	char err[1024] = "";
	km_node_t *root;
	km_params_t *p = bind_text(text, &root, err, sizeof(err));
	if (p) {
		km_params_destroy(p);
		km_node_free(root);
		fail_msg("accepted: %s", text);
	}
	km_node_free(root);
	assert_string_equal(err, want);
	assert_null(strstr(err, SECRET));
}

static void test_bind_defaults(void **state) {
	char err[512];
	km_node_t *root;
	km_params_t *p = bind_text("name: x\nplugin: whatever\n", &root, err, sizeof(err));
	const char *const *items;

	assert_non_null(p);
	assert_string_equal(km_params_str(p, "name"), "x");
	assert_true(km_params_isset(p, "name"));
	assert_ptr_equal(km_params_node(p, "name"), km_node_get(root, "name"));
	assert_string_equal(km_params_str(p, "start"), "earliest");
	assert_false(km_params_isset(p, "start"));
	assert_null(km_params_node(p, "start"));
	assert_int_equal(km_params_int(p, "count"), 10);
	assert_int_equal(km_params_int(p, "any"), 0);
	assert_int_equal(km_params_bool(p, "on"), 1);
	assert_int_equal(km_params_list(p, "items", &items), 3);
	assert_string_equal(items[0], "a");
	assert_string_equal(items[1], "b");
	assert_string_equal(items[2], "c");
	assert_int_equal(km_params_int(p, "every"), 5000);
	assert_int_equal(km_params_int(p, "timeout"), 60000);
	assert_int_equal(km_params_int(p, "size"), 64 * 1024 * 1024);
	assert_null(km_params_str(p, "password"));
	km_params_destroy(p);
	km_node_free(root);
}

static void test_bind_values(void **state) {
	char err[512];
	km_node_t *root;
	km_params_t *p = bind_text("name: n\nstart: latest\ncount: 100\nany: -42\non: OFF\n"
	                           "items: [x, ' y ']\nevery: 250ms\ntimeout: 1h\nsize: 2GiB\n"
	                           "password: " SECRET "\npin: 7\n",
	                           &root, err, sizeof(err));
	const char *const *items;

	if (!p)
		fail_msg("%s", err);
	assert_string_equal(km_params_str(p, "start"), "latest");
	assert_int_equal(km_params_int(p, "count"), 100);
	assert_int_equal(km_params_int(p, "any"), -42);
	assert_int_equal(km_params_bool(p, "on"), 0);
	assert_int_equal(km_params_list(p, "items", &items), 2);
	assert_string_equal(items[0], "x");
	assert_string_equal(items[1], " y ");
	assert_int_equal(km_params_int(p, "every"), 250);
	assert_int_equal(km_params_int(p, "timeout"), 3600000);
	assert_int_equal(km_params_int(p, "size"), 2LL * 1024 * 1024 * 1024);
	assert_string_equal(km_params_str(p, "password"), SECRET);
	assert_int_equal(km_params_int(p, "pin"), 7);
	km_params_destroy(p);
	km_node_free(root);
}

static void test_bind_lists(void **state) {
	static const struct {
		const char *yaml;
		size_t cnt;
		const char *first, *last;
	} cases[] = {
	    {"name: n\nitems: []\n", 0, NULL, NULL},
	    {"name: n\nitems: ''\n", 0, NULL, NULL},
	    {"name: n\nitems: ' , ,'\n", 0, NULL, NULL},
	    {"name: n\nitems: one\n", 1, "one", "one"},
	    {"name: n\nitems: ' a ,b,, c d '\n", 3, "a", "c d"},
	    {"name: n\nitems:\n  - '^x\\.y'\n  - z\n", 2, "^x\\.y", "z"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[512];
		km_node_t *root;
		const char *const *items;
		km_params_t *p = bind_text(cases[i].yaml, &root, err, sizeof(err));
		if (!p)
			fail_msg("%s: %s", cases[i].yaml, err);
		assert_int_equal(km_params_list(p, "items", &items), cases[i].cnt);
		if (cases[i].cnt) {
			assert_string_equal(items[0], cases[i].first);
			assert_string_equal(items[cases[i].cnt - 1], cases[i].last);
		}
		km_params_destroy(p);
		km_node_free(root);
	}
}

static void test_bind_sizes_durations_bools(void **state) {
	static const struct {
		const char *key, *val;
		int64_t want;
	} cases[] = {
	    {"size", "1048576", 1048576},
	    {"size", "1048576B", 1048576},
	    {"size", "1024KB", 1048576},
	    {"size", "1024 KiB", 1048576},
	    {"size", "3MB", 3 * 1048576},
	    {"size", "3mib", 3 * 1048576},
	    {"size", "1GB", 1073741824},
	    {"every", "100ms", 100},
	    {"every", "5s", 5000},
	    {"every", "10m", 600000},
	    {"every", "2h", 7200000},
	    {"on", "yes", 1},
	    {"on", "No", 0},
	    {"on", "TRUE", 1},
	    {"on", "off", 0},
	    {"on", "On", 1},
	    {"on", "false", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[512], *text;
		km_node_t *root;
		assert_true(asprintf(&text, "name: n\n%s: %s\n", cases[i].key, cases[i].val) > 0);
		km_params_t *p = bind_text(text, &root, err, sizeof(err));
		if (!p)
			fail_msg("%s: %s", text, err);
		if (!strcmp(cases[i].key, "on"))
			assert_int_equal(km_params_bool(p, "on"), cases[i].want);
		else
			assert_int_equal(km_params_int(p, cases[i].key), cases[i].want);
		assert_true(km_params_isset(p, cases[i].key));
		km_params_destroy(p);
		km_node_free(root);
		free(text);
	}
}

static void test_bind_err_unknown_key(void **state) {
	expect_bind_err("name: n\nstrat: latest\n",
	                "t.yaml:2:1: key 'strat' is not known in test; allowed keys: plugin, "
	                "name, start, count, any, on, items, every, timeout, size, password, pin");
}

static void test_bind_err_required(void **state) {
	expect_bind_err("\n\ncount: 5\n", "t.yaml:3:1: test: key 'name' is required (the name)");
}

static void test_bind_err_required_at(void **state) {
	char err[256];
	km_node_t *root = load_ok("policy: identity\n");
	km_params_t *p = km_params_bind_at(schema, NULL, km_node_get(root, "policy"),
	                                   "flows[0].policy", NULL, err, sizeof(err));
	assert_null(p);
	assert_string_equal(err, "t.yaml:1:9: flows[0].policy: key 'name' is required (the name)");
	p = km_params_bind(schema, NULL, "flows[0].policy", NULL, err, sizeof(err));
	assert_null(p);
	assert_string_equal(err, "flows[0].policy: key 'name' is required (the name)");
	km_node_free(root);
}

static void test_bind_err_enum(void **state) {
	expect_bind_err("name: n\nstart: sometimes\n",
	                "t.yaml:2:8: key 'start': 'sometimes' is not allowed; use one of "
	                "earliest, latest");
	expect_bind_err("name: n\nstart: [earliest]\n",
	                "t.yaml:2:8: key 'start' is a list; use one of earliest, latest");
}

static void test_bind_err_int(void **state) {
	expect_bind_err("name: n\ncount: ten\n",
	                "t.yaml:2:8: key 'count': 'ten' is not a whole number; it must be between "
	                "1 and 100");
	expect_bind_err("name: n\ncount: 1.5\n",
	                "t.yaml:2:8: key 'count': '1.5' is not a whole number; it must be between "
	                "1 and 100");
	expect_bind_err("name: n\nany: 99999999999999999999\n",
	                "t.yaml:2:6: key 'any': '99999999999999999999' is not a whole number");
}

static void test_bind_err_int_range(void **state) {
	expect_bind_err("name: n\ncount: 0\n",
	                "t.yaml:2:8: key 'count': '0' is out of range; it must be between 1 and "
	                "100");
	expect_bind_err("name: n\ncount: 101\n",
	                "t.yaml:2:8: key 'count': '101' is out of range; it must be between 1 and "
	                "100");
}

static void test_bind_err_bool(void **state) {
	expect_bind_err("name: n\non: maybe\n",
	                "t.yaml:2:5: key 'on': 'maybe' is not a boolean; use true or false "
	                "(yes/no and on/off also work)");
}

static void test_bind_err_duration(void **state) {
	expect_bind_err("name: n\nevery: 500\n",
	                "t.yaml:2:8: key 'every': '500' has no unit; add a unit: ms, s, m or h "
	                "(e.g. 250ms, 5s, 10m, 1h)");
	expect_bind_err("name: n\nevery: 5 sec\n",
	                "t.yaml:2:8: key 'every': '5 sec' is not a duration; give a whole number "
	                "with a unit: ms, s, m or h (e.g. 250ms, 5s); it must be at least 100ms");
	expect_bind_err("name: n\nevery: 1.5s\n",
	                "t.yaml:2:8: key 'every': '1.5s' is not a duration; give a whole number "
	                "with a unit: ms, s, m or h (e.g. 250ms, 5s); it must be at least 100ms");
	expect_bind_err("name: n\nevery: 50ms\n",
	                "t.yaml:2:8: key 'every': '50ms' is out of range; it must be at least "
	                "100ms");
	expect_bind_err("name: n\ntimeout: 2h\n",
	                "t.yaml:2:10: key 'timeout': '2h' is out of range; it must be between 1s "
	                "and 1h");
	expect_bind_err("name: n\nevery: 9999999999999999999h\n",
	                "t.yaml:2:8: key 'every': '9999999999999999999h' is not a duration; give "
	                "a whole number with a unit: ms, s, m or h (e.g. 250ms, 5s); it must be at "
	                "least 100ms");
}

static void test_bind_err_size(void **state) {
	expect_bind_err("name: n\nsize: 64XB\n",
	                "t.yaml:2:7: key 'size': '64XB' is not a size; give a number of bytes, "
	                "optionally with a unit: B, KB, MB, GB (e.g. 64MB); it must be at least "
	                "1MB");
	expect_bind_err("name: n\nsize: 512KB\n",
	                "t.yaml:2:7: key 'size': '512KB' is out of range; it must be at least 1MB");
	expect_bind_err("name: n\nsize: -1\n",
	                "t.yaml:2:7: key 'size': '-1' is not a size; give a number of bytes, "
	                "optionally with a unit: B, KB, MB, GB (e.g. 64MB); it must be at least "
	                "1MB");
}

static void test_bind_err_list_item(void **state) {
	expect_bind_err("name: n\nitems:\n  - a\n  - {b: c}\n",
	                "t.yaml:4:5: key 'items': item 2 is a mapping; the items must be text");
	expect_bind_err("name: n\nitems: {a: b}\n",
	                "t.yaml:2:8: key 'items' is a mapping; give a list ([a, b]) or a "
	                "comma-separated text");
}

static void test_bind_err_string_type(void **state) {
	expect_bind_err("name: {first: a}\n",
	                "t.yaml:1:7: key 'name' is a mapping; give a text value");
}

static void test_bind_err_null(void **state) {
	expect_bind_err("name: n\ncount:\n",
	                "t.yaml:2:1: key 'count' has no value; give a whole number that must be "
	                "between 1 and 100");
}

static void test_bind_err_not_mapping(void **state) {
	char err[256];
	km_node_t *root = load_ok("x: [1]\n");
	assert_null(km_params_bind(schema, km_node_get(root, "x"), "flows[0].policy", NULL, err,
	                           sizeof(err)));
	assert_string_equal(err, "t.yaml:1:4: flows[0].policy must be a mapping (key: value), not "
	                         "a list");
	km_node_free(root);
}

/* A secret never appears in a message: neither a SENSITIVE parameter's
 * value nor text that came from ${env:}. */
static void test_bind_err_secret_hidden(void **state) {
	setenv("KM_T_SECRET", SECRET, 1);
	expect_bind_err("name: n\npin: " SECRET "\n",
	                "t.yaml:2:6: key 'pin': a secret value is not a whole number; it must be "
	                "between 0 and 9999");
	expect_bind_err("name: n\npin: 12345\n",
	                "t.yaml:2:6: key 'pin': a secret value is out of range; it must be between "
	                "0 and 9999");
	expect_bind_err("name: n\nstart: ${env:KM_T_SECRET}\n",
	                "t.yaml:2:8: key 'start': a secret value is not allowed; use one of "
	                "earliest, latest");
	expect_bind_err("name: n\nevery: ${env:KM_T_SECRET}\n",
	                "t.yaml:2:8: key 'every': a secret value is not a duration; give a whole "
	                "number with a unit: ms, s, m or h (e.g. 250ms, 5s); it must be at least "
	                "100ms");
}

static void test_help(void **state) {
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	km_params_help(schema, fp);
	fclose(fp);
	assert_non_null(
	    strstr(buf, "  name                         string   required. the name\n"));
	assert_non_null(strstr(buf, "  start                        enum     default: earliest; "
	                            "one of earliest, latest. where to start\n"));
	assert_non_null(strstr(buf, "  count                        integer  default: 10; must be "
	                            "between 1 and 100. how many\n"));
	assert_non_null(strstr(buf, "  every                        duration default: 5s; must be "
	                            "at least 100ms. \n"));
	assert_non_null(strstr(buf, "  pin                          integer  optional; must be "
	                            "between 0 and 9999; secret. \n"));
	free(buf);
}

/* Programming errors abort: run them in a child. */
static int aborts(void (*fn)(void)) {
	pid_t pid = fork();
	int st;
	assert_true(pid >= 0);
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stderr))
			_exit(1);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

static void read_unknown_name(void) {
	km_params_t *p = km_params_bind(schema + 1, NULL, "x", NULL, NULL, 0);
	km_params_int(p, "nope");
}

static void read_wrong_type(void) {
	km_params_t *p = km_params_bind(schema + 1, NULL, "x", NULL, NULL, 0);
	km_params_int(p, "start");
}

static void bind_bad_default(void) {
	static const km_param_t bad[] = {
	    {.name = "d", .type = KM_PARAM_DURATION, .def = "5"},
	    {0},
	};
	km_params_bind(bad, NULL, "x", NULL, NULL, 0);
}

static void test_programming_errors_abort(void **state) {
	assert_true(aborts(read_unknown_name));
	assert_true(aborts(read_wrong_type));
	assert_true(aborts(bind_bad_default));
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tree_positions),
	    cmocka_unit_test(test_tree_nulls),
	    cmocka_unit_test(test_tree_env_expansion),
	    cmocka_unit_test(test_tree_file_secret),
	    cmocka_unit_test(test_load_file_relative_secret),
	    cmocka_unit_test(test_tree_equal),
	    cmocka_unit_test(test_err_syntax),
	    cmocka_unit_test(test_err_duplicate_key),
	    cmocka_unit_test(test_err_non_scalar_key),
	    cmocka_unit_test(test_err_anchor_alias),
	    cmocka_unit_test(test_err_two_documents),
	    cmocka_unit_test(test_err_empty),
	    cmocka_unit_test(test_err_top_level_not_mapping),
	    cmocka_unit_test(test_err_env_unset),
	    cmocka_unit_test(test_err_bad_reference),
	    cmocka_unit_test(test_err_secret_file_unreadable),
	    cmocka_unit_test(test_err_config_file_unreadable),
	    cmocka_unit_test(test_err_truncated_message),
	    cmocka_unit_test(test_bind_defaults),
	    cmocka_unit_test(test_bind_values),
	    cmocka_unit_test(test_bind_lists),
	    cmocka_unit_test(test_bind_sizes_durations_bools),
	    cmocka_unit_test(test_bind_err_unknown_key),
	    cmocka_unit_test(test_bind_err_required),
	    cmocka_unit_test(test_bind_err_required_at),
	    cmocka_unit_test(test_bind_err_enum),
	    cmocka_unit_test(test_bind_err_int),
	    cmocka_unit_test(test_bind_err_int_range),
	    cmocka_unit_test(test_bind_err_bool),
	    cmocka_unit_test(test_bind_err_duration),
	    cmocka_unit_test(test_bind_err_size),
	    cmocka_unit_test(test_bind_err_list_item),
	    cmocka_unit_test(test_bind_err_string_type),
	    cmocka_unit_test(test_bind_err_null),
	    cmocka_unit_test(test_bind_err_not_mapping),
	    cmocka_unit_test(test_bind_err_secret_hidden),
	    cmocka_unit_test(test_help),
	    cmocka_unit_test(test_programming_errors_abort),
	};
	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
