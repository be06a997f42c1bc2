/* Unit tests: the group_regex group filter and the config_regex
 * config-property filter (the real .so files through libltdl, with the
 * fake host), against MM2's DefaultGroupFilter and
 * DefaultConfigPropertyFilter (mm2.md, summary 13). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <kmirror/plugin.h>

#include "fakehost.h"

static fh_module_t *group_mod, *config_mod;
static const km_plugin_t *group_pl, *config_pl;

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void make(fh_instance_t *fi, const km_plugin_t *pl, const char *const *kv) {
	km_err_t err = fh_instance_create(fi, pl, "A", "B", kv);

	if (err != KM_OK)
		fail_msg("%s create: %d: %s", pl->name, (int)err, fi->fhi_errstr);
	assert_non_null(fi->fhi_inst);
}

static int group_ok(const fh_instance_t *fi, const char *group) {
	km_filter_result_t r = group_pl->group_filter->filter(fi->fhi_inst, group);

	assert_true(r == KM_FILTER_ACCEPT || r == KM_FILTER_REJECT);
	return r == KM_FILTER_ACCEPT;
}

static int config_ok(const fh_instance_t *fi, const char *name) {
	km_filter_result_t r = config_pl->config_filter->filter(fi->fhi_inst, "orders", name);

	assert_true(r == KM_FILTER_ACCEPT || r == KM_FILTER_REJECT);
	return r == KM_FILTER_ACCEPT;
}

/* create() refuses the pattern, with the whole message, and names the
 * list and the item (1-based) to the host. */
static void assert_bad_regex(const km_plugin_t *pl, const char *key, const char *list, size_t item,
                             const char *want) {
	fh_instance_t fi;
	const char *named;
	size_t named_item = 0;

	assert_int_equal(fh_instance_create(&fi, pl, "A", "B", KV(key, list)), KM_ERR_INVALID);
	assert_null(fi.fhi_inst);
	if (strcmp(fi.fhi_errstr, want) != 0)
		fail_msg("errstr \"%s\", want \"%s\"", fi.fhi_errstr, want);
	named = fh_ctx_param_error(fi.fhi_ctx, &named_item);
	assert_non_null(named);
	assert_string_equal(named, key);
	assert_int_equal(named_item, item);
	fh_instance_destroy(&fi);
}

static void assert_descriptor(const km_plugin_t *pl, fh_module_t *mod, const char *name,
                              km_plugin_kind_t kind) {
	assert_int_equal(pl->abi_major, KM_PLUGIN_ABI_MAJOR);
	assert_int_equal(pl->abi_minor, KM_PLUGIN_ABI_MINOR);
	assert_int_equal(pl->size, sizeof(km_plugin_t));
	assert_string_equal(pl->name, name);
	assert_non_null(pl->version);
	assert_non_null(pl->description);
	assert_int_equal(pl->kind, kind);
	assert_int_equal(pl->flags, 0);
	assert_non_null(pl->create);
	assert_non_null(pl->destroy);
	assert_null(pl->policy);
	assert_null(pl->topic_filter);
	assert_null(pl->stage);
	/* only the descriptor is exported, not the shared list code */
	assert_ptr_equal(fh_module_sym(mod, KM_PLUGIN_SYMBOL), pl);
	assert_null(fh_module_sym(mod, "rl_filter_create"));
	assert_null(fh_module_sym(mod, "rl_filter_match"));
}

/* ---- group_regex ---------------------------------------------------------- */

static void test_group_descriptor(void **state) {
	const km_param_t *p = group_pl->params;

	(void)state;
	assert_descriptor(group_pl, group_mod, "group_regex", KM_PLUGIN_GROUP_FILTER);
	assert_non_null(group_pl->group_filter);
	assert_int_equal(group_pl->group_filter->size, sizeof(km_group_filter_ops_t));
	assert_non_null(group_pl->group_filter->filter);
	assert_null(group_pl->config_filter);
	assert_string_equal(p[0].name, "include");
	assert_int_equal(p[0].type, KM_PARAM_LIST);
	assert_string_equal(p[0].def, ".*");
	assert_string_equal(p[1].name, "exclude");
	assert_int_equal(p[1].type, KM_PARAM_LIST);
	assert_string_equal(p[1].def, "console-consumer-.*,connect-.*,__.*");
	assert_null(p[2].name);
}

/* MM2's DefaultGroupFilter: groups.exclude = console-consumer-.*,
 * connect-.*, __.* */
static void test_group_defaults(void **state) {
	fh_instance_t fi;

	(void)state;
	make(&fi, group_pl, NULL);
	assert_true(group_ok(&fi, "orders-app"));
	assert_true(group_ok(&fi, "console-consumer")); /* no trailing '-' */
	assert_true(group_ok(&fi, "my-connect-sink"));
	assert_true(group_ok(&fi, "_one"));
	assert_false(group_ok(&fi, "console-consumer-12345"));
	assert_false(group_ok(&fi, "connect-"));
	assert_false(group_ok(&fi, "connect-mirror-sink"));
	assert_false(group_ok(&fi, "__confluent"));
	assert_false(group_ok(&fi, NULL));
	assert_string_equal(fh_ctx_log(fi.fhi_ctx), "");
	fh_instance_destroy(&fi);
}

static void test_group_lists(void **state) {
	fh_instance_t fi;

	(void)state;
	/* whole ids; exclude wins; the given exclude list replaces MM2's */
	make(&fi, group_pl, KV("include", "app-.*, billing", "exclude", "app-tmp.*"));
	assert_true(group_ok(&fi, "app-1"));
	assert_true(group_ok(&fi, "billing"));
	assert_false(group_ok(&fi, "billing2"));
	assert_false(group_ok(&fi, "my-app-1"));
	assert_false(group_ok(&fi, "app-tmp"));
	assert_false(group_ok(&fi, "app-tmp-2"));
	fh_instance_destroy(&fi);

	make(&fi, group_pl, KV("exclude", ""));
	assert_true(group_ok(&fi, "console-consumer-1"));
	assert_true(group_ok(&fi, "__x"));
	fh_instance_destroy(&fi);

	/* an empty include list checkpoints no group */
	make(&fi, group_pl, KV("include", ""));
	assert_false(group_ok(&fi, "app"));
	assert_false(group_ok(&fi, ""));
	fh_instance_destroy(&fi);

	make(&fi, group_pl, KV("include", "a|ab"));
	assert_true(group_ok(&fi, "ab"));
	assert_false(group_ok(&fi, "abc"));
	fh_instance_destroy(&fi);
}

static void test_group_bad_regex(void **state) {
	(void)state;
	assert_bad_regex(group_pl, "include", "ok.*,bad(", 2,
	                 "'bad(' is not a valid regular expression: missing closing parenthesis at "
	                 "offset 4; the items are PCRE2 patterns, each matched against whole "
	                 "consumer group ids");
	assert_bad_regex(
	    group_pl, "exclude", "[z-a]", 1,
	    "'[z-a]' is not a valid regular expression: range out of order in character "
	    "class at offset 3; the items are PCRE2 patterns, each matched against whole "
	    "consumer group ids");
}

static void test_group_invalid_utf8(void **state) {
	fh_instance_t fi;

	(void)state;
	make(&fi, group_pl, NULL);
	assert_false(group_ok(&fi, "bad\xff"));
	assert_non_null(strstr(fh_ctx_log(fi.fhi_ctx), "warning: group \"bad\xff\" rejected: "
	                                               "matching include pattern 1 failed: "));
	fh_instance_destroy(&fi);
}

/* ---- config_regex ---------------------------------------------------------- */

static void test_config_descriptor(void **state) {
	const km_param_t *p = config_pl->params;

	(void)state;
	assert_descriptor(config_pl, config_mod, "config_regex", KM_PLUGIN_CONFIG_FILTER);
	assert_non_null(config_pl->config_filter);
	assert_int_equal(config_pl->config_filter->size, sizeof(km_config_filter_ops_t));
	assert_non_null(config_pl->config_filter->filter);
	assert_null(config_pl->group_filter);
	assert_string_equal(p[0].name, "exclude");
	assert_int_equal(p[0].type, KM_PARAM_LIST);
	assert_null(p[1].name);
}

/* MM2's DefaultConfigPropertyFilter: config.properties.exclude */
static void test_config_defaults(void **state) {
	static const char *const excluded[] = {
	    "follower.replication.throttled.replicas", "leader.replication.throttled.replicas",
	    "message.timestamp.difference.max.ms",     "message.timestamp.type",
	    "unclean.leader.election.enable",          "min.insync.replicas",
	};
	static const char *const copied[] = {
	    "retention.ms",  "cleanup.policy",       "compression.type",    "max.message.bytes",
	    "segment.bytes", "min.insync.replicasX", "minXinsyncXreplicas", /* the dots are literal
	                                                                     */
	};
	fh_instance_t fi;

	(void)state;
	make(&fi, config_pl, NULL);
	for (size_t i = 0; i < sizeof(excluded) / sizeof(excluded[0]); i++)
		if (config_ok(&fi, excluded[i]))
			fail_msg("%s copied, want excluded", excluded[i]);
	for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
		if (!config_ok(&fi, copied[i]))
			fail_msg("%s excluded, want copied", copied[i]);
	assert_false(config_ok(&fi, NULL));
	fh_instance_destroy(&fi);
}

static void test_config_lists(void **state) {
	fh_instance_t fi;

	(void)state;
	/* the given list replaces MM2's */
	make(&fi, config_pl, KV("exclude", "retention\\..*,segment\\.bytes"));
	assert_false(config_ok(&fi, "retention.ms"));
	assert_false(config_ok(&fi, "retention.bytes"));
	assert_false(config_ok(&fi, "segment.bytes"));
	assert_true(config_ok(&fi, "segment.ms"));
	assert_true(config_ok(&fi, "min.insync.replicas"));
	fh_instance_destroy(&fi);

	/* nothing excluded: every property is copied */
	make(&fi, config_pl, KV("exclude", ""));
	assert_true(config_ok(&fi, "min.insync.replicas"));
	assert_true(config_ok(&fi, ""));
	fh_instance_destroy(&fi);
}

static void test_config_bad_regex(void **state) {
	(void)state;
	assert_bad_regex(config_pl, "exclude", "retention\\..*, *x", 2,
	                 "'*x' is not a valid regular expression: quantifier does not follow a "
	                 "repeatable item at offset 0; the items are PCRE2 patterns, each matched "
	                 "against whole config property names");
}

static int group_setup(void **state) {
	(void)state;
	group_pl = fh_plugin_load("plugins/group_regex", &group_mod);
	config_pl = fh_plugin_load("plugins/config_regex", &config_mod);
	return group_pl && config_pl ? 0 : -1;
}

static int group_teardown(void **state) {
	(void)state;
	fh_plugin_unload(group_mod);
	fh_plugin_unload(config_mod);
	return 0;
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_group_descriptor),   cmocka_unit_test(test_group_defaults),
	    cmocka_unit_test(test_group_lists),        cmocka_unit_test(test_group_bad_regex),
	    cmocka_unit_test(test_group_invalid_utf8), cmocka_unit_test(test_config_descriptor),
	    cmocka_unit_test(test_config_defaults),    cmocka_unit_test(test_config_lists),
	    cmocka_unit_test(test_config_bad_regex),
	};
	return cmocka_run_group_tests_name("mm2_filters", tests, group_setup, group_teardown);
}
