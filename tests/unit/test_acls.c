/* Unit tests of the ACL rules (core/acls.c): what ACL sync makes of each
 * kind of source binding (MirrorMaker 2's rules), what the WRITE grant of
 * promote and failover makes, and the binding lists. No Kafka. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "acls.h"

#define TOPIC    RD_KAFKA_RESOURCE_TOPIC
#define LITERAL  RD_KAFKA_RESOURCE_PATTERN_LITERAL
#define PREFIXED RD_KAFKA_RESOURCE_PATTERN_PREFIXED
#define ALLOW    RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW
#define DENY     RD_KAFKA_ACL_PERMISSION_TYPE_DENY
#define OP(x)    RD_KAFKA_ACL_OPERATION_##x

static km_acl_t binding(rd_kafka_ResourceType_t restype, rd_kafka_ResourcePatternType_t pattern,
                        const char *name, rd_kafka_AclOperation_t op,
                        rd_kafka_AclPermissionType_t perm) {
	return (km_acl_t){.restype = restype,
	                  .pattern = pattern,
	                  .name = name,
	                  .principal = "User:alice",
	                  .host = "10.1.2.3",
	                  .op = op,
	                  .perm = perm};
}

/* Asserts that sync copies @p in as @p op with @p perm on "a.orders",
 * principal and host unchanged. */
static void assert_synced(km_acl_t in, rd_kafka_AclOperation_t op,
                          rd_kafka_AclPermissionType_t perm) {
	km_acl_t out;

	memset(&out, 0, sizeof(out));
	assert_int_equal(km_acl_sync_convert(&in, "a.orders", &out), KM_ACL_SYNC);
	assert_int_equal(out.restype, TOPIC);
	assert_int_equal(out.pattern, LITERAL);
	assert_string_equal(out.name, "a.orders");
	assert_string_equal(out.principal, "User:alice");
	assert_string_equal(out.host, "10.1.2.3");
	assert_int_equal(out.op, op);
	assert_int_equal(out.perm, perm);
}

static void test_sync_copies_unchanged(void **state) {
	(void)state;
	assert_synced(binding(TOPIC, LITERAL, "orders", OP(READ), ALLOW), OP(READ), ALLOW);
	assert_synced(binding(TOPIC, LITERAL, "orders", OP(DESCRIBE), ALLOW), OP(DESCRIBE), ALLOW);
	assert_synced(binding(TOPIC, LITERAL, "orders", OP(DESCRIBE_CONFIGS), ALLOW),
	              OP(DESCRIBE_CONFIGS), ALLOW);
	assert_synced(binding(TOPIC, LITERAL, "orders", OP(ALTER_CONFIGS), ALLOW),
	              OP(ALTER_CONFIGS), ALLOW);
	assert_synced(binding(TOPIC, LITERAL, "orders", OP(DELETE), ALLOW), OP(DELETE), ALLOW);
}

static void test_sync_all_becomes_read(void **state) {
	(void)state;
	assert_synced(binding(TOPIC, LITERAL, "orders", OP(ALL), ALLOW), OP(READ), ALLOW);
}

static void test_sync_deny_copied(void **state) {
	(void)state;
	/* every DENY, WRITE and ALL included, as it is */
	assert_synced(binding(TOPIC, LITERAL, "orders", OP(WRITE), DENY), OP(WRITE), DENY);
	assert_synced(binding(TOPIC, LITERAL, "orders", OP(ALL), DENY), OP(ALL), DENY);
	assert_synced(binding(TOPIC, LITERAL, "orders", OP(READ), DENY), OP(READ), DENY);
}

static void test_sync_drops(void **state) {
	km_acl_t in, out;

	(void)state;
	in = binding(TOPIC, LITERAL, "orders", OP(WRITE), ALLOW);
	assert_int_equal(km_acl_sync_convert(&in, "a.orders", &out), KM_ACL_WRITE_DROPPED);
	in = binding(TOPIC, PREFIXED, "orders", OP(READ), ALLOW);
	assert_int_equal(km_acl_sync_convert(&in, "a.orders", &out), KM_ACL_NOT_LITERAL);
	in = binding(RD_KAFKA_RESOURCE_GROUP, LITERAL, "orders", OP(READ), ALLOW);
	assert_int_equal(km_acl_sync_convert(&in, "a.orders", &out), KM_ACL_NOT_LITERAL);
	in = binding(RD_KAFKA_RESOURCE_BROKER, LITERAL, "kafka-cluster", OP(ALTER), ALLOW);
	assert_int_equal(km_acl_sync_convert(&in, "a.kafka-cluster", &out), KM_ACL_NOT_LITERAL);
	/* the literal "*" is every topic, not one to rename */
	in = binding(TOPIC, LITERAL, "*", OP(READ), ALLOW);
	assert_int_equal(km_acl_sync_convert(&in, "a.*", &out), KM_ACL_WILDCARD);
	in = binding(TOPIC, LITERAL, "*", OP(WRITE), DENY);
	assert_int_equal(km_acl_sync_convert(&in, "*", &out), KM_ACL_WILDCARD);
}

static void test_grant(void **state) {
	km_acl_t in, out;
	const struct {
		rd_kafka_ResourceType_t restype;
		rd_kafka_ResourcePatternType_t pattern;
		rd_kafka_AclOperation_t op;
		rd_kafka_AclPermissionType_t perm;
		int granted;
	} cases[] = {
	    {TOPIC, LITERAL, OP(WRITE), ALLOW, 1},
	    {TOPIC, LITERAL, OP(ALL), ALLOW, 1}, /* as WRITE */
	    {TOPIC, LITERAL, OP(READ), ALLOW, 0},
	    {TOPIC, LITERAL, OP(DESCRIBE), ALLOW, 0},
	    {TOPIC, LITERAL, OP(WRITE), DENY, 0},
	    {TOPIC, LITERAL, OP(ALL), DENY, 0},
	    {TOPIC, PREFIXED, OP(WRITE), ALLOW, 0},
	    {RD_KAFKA_RESOURCE_GROUP, LITERAL, OP(WRITE), ALLOW, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		in = binding(cases[i].restype, cases[i].pattern, "orders", cases[i].op,
		             cases[i].perm);
		memset(&out, 0, sizeof(out));
		assert_int_equal(km_acl_grant_convert(&in, "a.orders", &out), cases[i].granted);
		if (!cases[i].granted)
			continue;
		assert_int_equal(out.restype, TOPIC);
		assert_int_equal(out.pattern, LITERAL);
		assert_string_equal(out.name, "a.orders");
		assert_string_equal(out.principal, "User:alice");
		assert_string_equal(out.host, "10.1.2.3");
		assert_int_equal(out.op, OP(WRITE));
		assert_int_equal(out.perm, ALLOW);
	}
}

static void test_equal_and_lists(void **state) {
	km_acl_list_t l = {0};
	km_acl_t a = binding(TOPIC, LITERAL, "orders", OP(READ), ALLOW), b = a;
	char name[] = "orders";

	(void)state;
	b.name = name; /* another pointer, the same text */
	assert_true(km_acl_equal(&a, &b));
	b.host = "*";
	assert_false(km_acl_equal(&a, &b));
	b = a;
	b.principal = "User:bob";
	assert_false(km_acl_equal(&a, &b));
	b = a;
	b.op = OP(DESCRIBE);
	assert_false(km_acl_equal(&a, &b));
	b = a;
	b.perm = DENY;
	assert_false(km_acl_equal(&a, &b));
	b = a;
	b.pattern = PREFIXED;
	assert_false(km_acl_equal(&a, &b));

	for (int i = 0; i < 40; i++) /* past the first growth */
		assert_int_equal(km_acl_list_add(&l, i % 2 ? &a : &b), KM_OK);
	assert_int_equal(l.cnt, 40);
	name[0] = 'x'; /* the list keeps copies */
	assert_true(km_acl_list_has(&l, &a));
	b.name = "x";
	assert_false(km_acl_list_has(&l, &b));
	km_acl_list_free(&l);
	assert_int_equal(l.cnt, 0);
	assert_false(km_acl_list_has(&l, &a));
}

static void test_str(void **state) {
	km_acl_t a = binding(TOPIC, LITERAL, "orders", OP(READ), ALLOW);
	char buf[256];

	(void)state;
	assert_string_equal(km_acl_str(&a, buf, sizeof(buf)),
	                    "User:alice ALLOW READ on topic orders (host 10.1.2.3)");
	a = binding(TOPIC, PREFIXED, "ord", OP(WRITE), DENY);
	assert_string_equal(km_acl_str(&a, buf, sizeof(buf)),
	                    "User:alice DENY WRITE on prefixed topic ord (host 10.1.2.3)");
}

/* CreateAcls refuses a binding librdkafka cannot encode before it sends
 * anything; nothing to create asks nothing. */
static void test_create_local(void **state) {
	km_acl_t a = binding(TOPIC, LITERAL, "orders", OP(READ), ALLOW);
	char errstr[512] = "";
	size_t created = 7;

	(void)state;
	assert_int_equal(km_acls_create(NULL, &a, 0, 1000, &created, errstr, sizeof(errstr)),
	                 KM_OK);
	assert_int_equal(created, 0);
	a.op = OP(ANY); /* a filter's value, not a binding's */
	assert_int_equal(km_acls_create(NULL, &a, 1, 1000, &created, errstr, sizeof(errstr)),
	                 KM_ERR_INVALID);
	assert_int_equal(created, 0);
	assert_non_null(strstr(errstr, "CreateAcls: User:alice ALLOW ANY on topic orders"));
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sync_copies_unchanged),
	    cmocka_unit_test(test_sync_all_becomes_read),
	    cmocka_unit_test(test_sync_deny_copied),
	    cmocka_unit_test(test_sync_drops),
	    cmocka_unit_test(test_grant),
	    cmocka_unit_test(test_equal_and_lists),
	    cmocka_unit_test(test_str),
	    cmocka_unit_test(test_create_local),
	};
	return cmocka_run_group_tests_name("acls", tests, NULL, NULL);
}
