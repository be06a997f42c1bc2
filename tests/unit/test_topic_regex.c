/* Unit tests: the topic_regex topic filter plugin (the real .so through
 * libltdl, with the fake host), against MM2's DefaultTopicFilter (mm2.md
 * §4.1, §4.2). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <kmirror/plugin.h>

#include "fakehost.h"

static fh_module_t *mod;
static const km_plugin_t *pl;

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void make(fh_instance_t *fi, const char *const *kv) {
	km_err_t err = fh_instance_create(fi, pl, "A", "B", kv);

	if (err != KM_OK)
		fail_msg("topic_regex create: %d: %s", (int)err, fi->fhi_errstr);
	assert_non_null(fi->fhi_inst);
}

static int accepts(const fh_instance_t *fi, const char *topic) {
	km_filter_result_t r = pl->topic_filter->filter(fi->fhi_inst, topic);

	assert_true(r == KM_FILTER_ACCEPT || r == KM_FILTER_REJECT);
	return r == KM_FILTER_ACCEPT;
}

#define ACCEPT(fi, topic)                                                                          \
	do {                                                                                       \
		if (!accepts(fi, topic))                                                           \
			fail_msg("\"%s\" rejected, want accepted", topic);                         \
	} while (0)
#define REJECT(fi, topic)                                                                          \
	do {                                                                                       \
		if (accepts(fi, topic))                                                            \
			fail_msg("\"%s\" accepted, want rejected", topic);                         \
	} while (0)

/* create() must fail with an error naming the pattern, the PCRE2 message
 * and the offset, and name the list and the item (1-based) to the host,
 * which puts them in front with the position. */
static void assert_bad_regex(const char *key, const char *pattern, size_t item, const char *want) {
	fh_instance_t fi;
	const char *named;
	size_t named_item = 0;

	assert_int_equal(fh_instance_create(&fi, pl, "A", "B", KV(key, pattern)), KM_ERR_INVALID);
	assert_null(fi.fhi_inst);
	if (strcmp(fi.fhi_errstr, want) != 0)
		fail_msg("errstr \"%s\", want \"%s\"", fi.fhi_errstr, want);
	named = fh_ctx_param_error(fi.fhi_ctx, &named_item);
	assert_non_null(named);
	assert_string_equal(named, key);
	assert_int_equal(named_item, item);
	fh_instance_destroy(&fi);
}

static void test_descriptor(void **state) {
	const km_param_t *p = pl->params;

	assert_int_equal(pl->abi_major, KM_PLUGIN_ABI_MAJOR);
	assert_int_equal(pl->abi_minor, KM_PLUGIN_ABI_MINOR);
	assert_int_equal(pl->size, sizeof(km_plugin_t));
	assert_string_equal(pl->name, "topic_regex");
	assert_non_null(pl->version);
	assert_non_null(pl->description);
	assert_int_equal(pl->kind, KM_PLUGIN_TOPIC_FILTER);
	assert_int_equal(pl->flags, 0); /* reserved */
	assert_non_null(pl->create);
	assert_non_null(pl->destroy);
	assert_null(pl->policy);
	assert_non_null(pl->topic_filter);
	assert_non_null(pl->topic_filter->filter);
	assert_null(pl->stage);

	assert_non_null(p);
	assert_string_equal(p[0].name, "include");
	assert_int_equal(p[0].type, KM_PARAM_LIST);
	assert_string_equal(p[0].def, ".*");
	assert_int_equal(p[0].flags, 0);
	assert_non_null(p[0].doc);
	assert_string_equal(p[1].name, "exclude");
	assert_int_equal(p[1].type, KM_PARAM_LIST);
	assert_string_equal(p[1].def, ".*[\\-\\.]internal,.*\\.replica,__.*");
	assert_int_equal(p[1].flags, 0);
	assert_non_null(p[1].doc);
	assert_null(p[2].name);

	assert_ptr_equal(fh_module_sym(mod, KM_PLUGIN_SYMBOL), pl);
	assert_null(fh_module_sym(mod, "topic_regex_create"));
	assert_null(fh_module_sym(mod, "topic_regex_params"));
}

static void test_defaults(void **state) {
	fh_instance_t fi;

	make(&fi, NULL);
	ACCEPT(&fi, "orders");
	ACCEPT(&fi, "heartbeats");
	ACCEPT(&fi, "A.orders");
	ACCEPT(&fi, "xinternal");
	ACCEPT(&fi, "x_internal");
	ACCEPT(&fi, "a_replica");
	ACCEPT(&fi, "_x");
	REJECT(&fi, "__consumer_offsets");
	REJECT(&fi, "__transaction_state");
	REJECT(&fi, "x.internal");
	REJECT(&fi, "x-internal");
	REJECT(&fi, "A.checkpoints.internal");
	REJECT(&fi, "mm2-offset-syncs.B.internal");
	REJECT(&fi, "a.replica");
	REJECT(&fi, ".replica");
	REJECT(&fi, NULL);
	assert_string_equal(fh_ctx_log(fi.fhi_ctx), "");
	fh_instance_destroy(&fi);
}

static void test_include_list(void **state) {
	fh_instance_t fi;

	make(&fi, KV("include", "orders.*, payments"));
	ACCEPT(&fi, "orders");
	ACCEPT(&fi, "orders-v2");
	ACCEPT(&fi, "payments");
	REJECT(&fi, "payments2");
	REJECT(&fi, "users");
	REJECT(&fi, "orders.internal"); /* the default exclude list still applies */
	fh_instance_destroy(&fi);
}

static void test_exclude_wins(void **state) {
	fh_instance_t fi;

	make(&fi, KV("include", "orders.*", "exclude", "orders\\.tmp.*,.*-test"));
	ACCEPT(&fi, "orders.main");
	REJECT(&fi, "orders.tmp");
	REJECT(&fi, "orders.tmp2");
	REJECT(&fi, "orders-test");
	REJECT(&fi, "users-test");
	/* the exclude list replaces the default one */
	ACCEPT(&fi, "orders.internal");
	fh_instance_destroy(&fi);

	make(&fi, KV("include", "x", "exclude", "x"));
	REJECT(&fi, "x");
	fh_instance_destroy(&fi);
}

/* An empty include list matches nothing; an empty exclude list excludes
 * nothing. */
static void test_empty_lists(void **state) {
	fh_instance_t fi;

	make(&fi, KV("include", ""));
	REJECT(&fi, "orders");
	REJECT(&fi, "");
	fh_instance_destroy(&fi);

	make(&fi, KV("exclude", ""));
	ACCEPT(&fi, "orders");
	ACCEPT(&fi, "__consumer_offsets");
	ACCEPT(&fi, "x.internal");
	fh_instance_destroy(&fi);

	make(&fi, KV("include", "", "exclude", ""));
	REJECT(&fi, "orders");
	fh_instance_destroy(&fi);
}

/* Java's Matcher.matches(): the whole name, every alternative anchored. */
static void test_full_match(void **state) {
	fh_instance_t fi;

	make(&fi, KV("include", "ord"));
	ACCEPT(&fi, "ord");
	REJECT(&fi, "orders");
	REJECT(&fi, "word");
	fh_instance_destroy(&fi);

	make(&fi, KV("include", "a|b"));
	ACCEPT(&fi, "a");
	ACCEPT(&fi, "b");
	REJECT(&fi, "ab");
	REJECT(&fi, "xa");
	REJECT(&fi, "bx");
	REJECT(&fi, "");
	fh_instance_destroy(&fi);

	/* backtracking into a longer alternative to reach the end */
	make(&fi, KV("include", "a|ab"));
	ACCEPT(&fi, "ab");
	fh_instance_destroy(&fi);

	make(&fi, KV("include", "orders$"));
	ACCEPT(&fi, "orders");
	REJECT(&fi, "my-orders");
	fh_instance_destroy(&fi);

	make(&fi, KV("exclude", "tmp"));
	ACCEPT(&fi, "tmp-orders");
	REJECT(&fi, "tmp");
	fh_instance_destroy(&fi);
}

/* Syntax Java's java.util.regex and PCRE2 share. */
static void test_java_syntax(void **state) {
	fh_instance_t fi;

	make(&fi, KV("include", "[a-c]\\d+", "exclude", ""));
	ACCEPT(&fi, "b12");
	REJECT(&fi, "d12");
	REJECT(&fi, "b");
	fh_instance_destroy(&fi);

	/* no "{1,2}": a comma splits the list, so MM2 lists cannot hold one */
	make(&fi, KV("include", "[^_.][\\w-]*\\.v\\d{1}\\d?"));
	ACCEPT(&fi, "orders-eu.v2");
	ACCEPT(&fi, "orders.v10");
	REJECT(&fi, "orders.v100");
	REJECT(&fi, "_orders.v1");
	fh_instance_destroy(&fi);

	/* non-greedy quantifiers still have to match the whole name */
	make(&fi, KV("include", "a.*?b"));
	ACCEPT(&fi, "axxbxxb");
	REJECT(&fi, "axxbxxc");
	fh_instance_destroy(&fi);

	make(&fi, KV("include", "(?i)orders\\..*"));
	ACCEPT(&fi, "ORDERS.eu");
	ACCEPT(&fi, "Orders.us");
	fh_instance_destroy(&fi);

	make(&fi, KV("include", "\\Qa.b\\E"));
	ACCEPT(&fi, "a.b");
	REJECT(&fi, "axb");
	fh_instance_destroy(&fi);

	make(&fi, KV("include", "(?!tmp).*", "exclude", "(?:[a-z]+-){2}x"));
	ACCEPT(&fi, "main");
	REJECT(&fi, "tmp1");
	REJECT(&fi, "ab-cd-x");
	ACCEPT(&fi, "ab-x");
	fh_instance_destroy(&fi);

	make(&fi, KV("include", "caf\u00e9-.+"));
	ACCEPT(&fi, "caf\u00e9-orders");
	REJECT(&fi, "cafe-orders");
	fh_instance_destroy(&fi);
}

static void test_bad_regex(void **state) {
	assert_bad_regex("include", "orders(", 1,
	                 "'orders(' is not a valid regular expression: missing closing parenthesis "
	                 "at offset 7; the items are PCRE2 patterns, each matched against whole "
	                 "topic names");
	assert_bad_regex("exclude", "[a-", 1,
	                 "'[a-' is not a valid regular expression: missing terminating ] for "
	                 "character class at offset 3; the items are PCRE2 patterns, each matched "
	                 "against whole topic names");
	/* unbalanced: wrapping the pattern in (?:...) would have hidden this */
	assert_bad_regex("include", "a)(b", 1,
	                 "'a)(b' is not a valid regular expression: unmatched closing parenthesis "
	                 "at offset 1; the items are PCRE2 patterns, each matched against whole "
	                 "topic names");
	assert_bad_regex("include", "ok,*bad", 2,
	                 "'*bad' is not a valid regular expression: quantifier does not follow a "
	                 "repeatable item at offset 0; the items are PCRE2 patterns, each matched "
	                 "against whole topic names");
}

/* Good patterns name nothing. */
static void test_good_regex_names_no_key(void **state) {
	fh_instance_t fi;

	make(&fi, KV("include", "a.*,b.*"));
	assert_null(fh_ctx_param_error(fi.fhi_ctx, NULL));
	fh_instance_destroy(&fi);
}

/* A name PCRE2 cannot match (not UTF-8) is rejected, and says so. */
static void test_invalid_utf8_rejected(void **state) {
	fh_instance_t fi;

	make(&fi, NULL);
	REJECT(&fi, "bad\xff");
	assert_non_null(strstr(fh_ctx_log(fi.fhi_ctx), "warning: topic \"bad\xff\" rejected: "
	                                               "matching include pattern 1 failed: "));
	fh_instance_destroy(&fi);
}

/* Many calls on one instance: no state carried between calls. */
static void test_repeated_calls(void **state) {
	fh_instance_t fi;

	make(&fi, KV("include", "a.*,b.*", "exclude", "ab.*"));
	for (int i = 0; i < 1000; i++) {
		ACCEPT(&fi, "apple");
		REJECT(&fi, "abc");
		ACCEPT(&fi, "banana");
		REJECT(&fi, "cherry");
	}
	fh_instance_destroy(&fi);
}

static int group_setup(void **state) {
	pl = fh_plugin_load("plugins/topic_regex", &mod);
	return pl ? 0 : -1;
}

static int group_teardown(void **state) {
	fh_plugin_unload(mod);
	return 0;
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_descriptor),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_include_list),
	    cmocka_unit_test(test_exclude_wins),
	    cmocka_unit_test(test_empty_lists),
	    cmocka_unit_test(test_full_match),
	    cmocka_unit_test(test_java_syntax),
	    cmocka_unit_test(test_bad_regex),
	    cmocka_unit_test(test_good_regex_names_no_key),
	    cmocka_unit_test(test_invalid_utf8_rejected),
	    cmocka_unit_test(test_repeated_calls),
	};
	return cmocka_run_group_tests_name("topic_regex", tests, group_setup, group_teardown);
}
