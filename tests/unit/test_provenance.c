/* Unit tests: provenance headers (core/provenance.c): the list's format,
 * the scan a flow makes of every record, and the append. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "provenance.h"

#define A "Bq3uZt2WQ5K0pXfVb9nLAw" /* cluster ids as Kafka makes them */
#define B "x7Y-dJk_R0aV3Jm1oQpZqg"
#define C "0hH2sTzYQmCw1aU4vLxE9Q"

static void test_list_has(void **state) {
	(void)state;
	assert_true(km_prov_list_has(A, strlen(A), A, strlen(A)));
	assert_true(km_prov_list_has(A "," B, strlen(A "," B), B, strlen(B)));
	assert_true(km_prov_list_has(A "," B "," C, strlen(A "," B "," C), B, strlen(B)));
	assert_false(km_prov_list_has(A "," B, strlen(A "," B), C, strlen(C)));
	/* whole ids only: a prefix, a suffix or a longer id is another */
	assert_false(km_prov_list_has(A, strlen(A), "Bq3", 3));
	assert_false(km_prov_list_has(A "x", strlen(A) + 1, A, strlen(A)));
	assert_false(km_prov_list_has("x" A, strlen(A) + 1, A, strlen(A)));
	/* empty, null, stray commas */
	assert_false(km_prov_list_has("", 0, A, strlen(A)));
	assert_false(km_prov_list_has(NULL, 0, A, strlen(A)));
	assert_true(km_prov_list_has("," A ",", strlen(A) + 2, A, strlen(A)));
	assert_false(km_prov_list_has(",,", 2, A, 0));
}

/* The header's single value as a string in @p buf. */
static const char *value(rd_kafka_headers_t *h, const char *name, char *buf, size_t size) {
	const void *v;
	size_t len;

	if (rd_kafka_header_get_last(h, name, &v, &len))
		return NULL;
	assert_true(len < size);
	memcpy(buf, v, len);
	buf[len] = '\0';
	return buf;
}

static void test_append_and_seen(void **state) {
	char buf[KM_PROV_VALUE_MAX + 1];
	rd_kafka_headers_t *h;

	(void)state;
	/* a record with no headers gets one */
	h = km_prov_append(NULL, KM_PROV_HEADER, A, strlen(A));
	assert_int_equal(rd_kafka_header_cnt(h), 1);
	assert_string_equal(value(h, KM_PROV_HEADER, buf, sizeof(buf)), A);
	assert_true(km_prov_seen(h, KM_PROV_HEADER, A, strlen(A)));
	assert_false(km_prov_seen(h, KM_PROV_HEADER, B, strlen(B)));
	assert_false(km_prov_seen(h, "other", A, strlen(A)));
	/* the next hop extends the list; the header moves to the end */
	rd_kafka_header_add(h, "app", -1, "v", 1);
	h = km_prov_append(h, KM_PROV_HEADER, B, strlen(B));
	assert_int_equal(rd_kafka_header_cnt(h), 2);
	assert_string_equal(value(h, KM_PROV_HEADER, buf, sizeof(buf)), A "," B);
	{
		const char *name;
		const void *v;
		size_t len;
		assert_int_equal(rd_kafka_header_get_all(h, 0, &name, &v, &len), 0);
		assert_string_equal(name, "app");
		assert_int_equal(rd_kafka_header_get_all(h, 1, &name, &v, &len), 0);
		assert_string_equal(name, KM_PROV_HEADER);
	}
	assert_true(km_prov_seen(h, KM_PROV_HEADER, A, strlen(A)));
	assert_true(km_prov_seen(h, KM_PROV_HEADER, B, strlen(B)));
	/* an id listed already is not listed twice */
	h = km_prov_append(h, KM_PROV_HEADER, A, strlen(A));
	assert_string_equal(value(h, KM_PROV_HEADER, buf, sizeof(buf)), A "," B);
	rd_kafka_headers_destroy(h);

	/* a null-valued header is an empty list */
	h = rd_kafka_headers_new(1);
	rd_kafka_header_add(h, "p", -1, NULL, 0);
	assert_false(km_prov_seen(h, "p", A, strlen(A)));
	h = km_prov_append(h, "p", C, strlen(C));
	assert_int_equal(rd_kafka_header_cnt(h), 1);
	assert_string_equal(value(h, "p", buf, sizeof(buf)), C);
	rd_kafka_headers_destroy(h);
}

/* Several headers of the name are one list; a list that would pass
 * KM_PROV_VALUE_MAX gets a second header instead. */
static void test_several_headers(void **state) {
	char big[KM_PROV_VALUE_MAX];
	rd_kafka_headers_t *h = rd_kafka_headers_new(2);

	(void)state;
	rd_kafka_header_add(h, KM_PROV_HEADER, -1, A, -1);
	rd_kafka_header_add(h, KM_PROV_HEADER, -1, B, -1);
	assert_true(km_prov_seen(h, KM_PROV_HEADER, A, strlen(A)));
	assert_true(km_prov_seen(h, KM_PROV_HEADER, B, strlen(B)));
	h = km_prov_append(h, KM_PROV_HEADER, C, strlen(C));
	assert_int_equal(rd_kafka_header_cnt(h), 3);
	assert_true(km_prov_seen(h, KM_PROV_HEADER, C, strlen(C)));
	rd_kafka_headers_destroy(h);

	memset(big, 'z', sizeof(big));
	h = rd_kafka_headers_new(1);
	rd_kafka_header_add(h, KM_PROV_HEADER, -1, big, (ssize_t)(sizeof(big) - strlen(A)));
	h = km_prov_append(h, KM_PROV_HEADER, A, strlen(A));
	assert_int_equal(rd_kafka_header_cnt(h), 2);
	assert_true(km_prov_seen(h, KM_PROV_HEADER, A, strlen(A)));
	rd_kafka_headers_destroy(h);
}

/* A ring a -> b -> c -> a: the record made on a is dropped by c -> a. */
static void test_ring(void **state) {
	rd_kafka_headers_t *h = NULL;
	static const char *const ids[] = {A, B, C};

	(void)state;
	for (int hop = 0; hop < 3; hop++) {
		const char *src = ids[hop], *dst = ids[(hop + 1) % 3];
		if (km_prov_seen(h, KM_PROV_HEADER, dst, strlen(dst))) {
			assert_int_equal(hop, 2); /* c -> a */
			break;
		}
		assert_true(hop < 2);
		h = km_prov_append(h, KM_PROV_HEADER, src, strlen(src));
	}
	rd_kafka_headers_destroy(h);
}

/* km_prov_strip gives back the headers km_prov_append was given. */
static void test_strip(void **state) {
	char buf[64];
	const char *name;
	const void *v;
	size_t len;
	rd_kafka_headers_t *h = rd_kafka_headers_new(2), *s;

	(void)state;
	rd_kafka_header_add(h, "h", -1, "1", 1);
	rd_kafka_header_add(h, "hnull", -1, NULL, 0);
	h = km_prov_append(h, KM_PROV_HEADER, A, strlen(A));
	s = km_prov_strip(h, KM_PROV_HEADER, A, strlen(A));
	assert_int_equal(rd_kafka_header_cnt(s), 2);
	assert_int_equal(rd_kafka_header_get_all(s, 1, &name, &v, &len), 0);
	assert_string_equal(name, "hnull");
	assert_null(v);
	rd_kafka_headers_destroy(s);
	/* a list that was there keeps its ids */
	h = km_prov_append(h, KM_PROV_HEADER, B, strlen(B));
	s = km_prov_strip(h, KM_PROV_HEADER, B, strlen(B));
	assert_int_equal(rd_kafka_header_cnt(s), 3);
	assert_string_equal(value(s, KM_PROV_HEADER, buf, sizeof(buf)), A);
	rd_kafka_headers_destroy(s);
	rd_kafka_headers_destroy(h);
}

/* The state the empty pipeline's one scan finds, and the append it then
 * makes without a second scan. */
static void test_state_and_append_new(void **state) {
	char buf[KM_PROV_VALUE_MAX + 1];
	rd_kafka_headers_t *h = rd_kafka_headers_new(2);

	(void)state;
	assert_int_equal(km_prov_state(NULL, KM_PROV_HEADER, A, strlen(A)), KM_PROV_NONE);
	rd_kafka_header_add(h, "app", -1, "v", 1);
	assert_int_equal(km_prov_state(h, KM_PROV_HEADER, A, strlen(A)), KM_PROV_NONE);
	h = km_prov_append_new(h, KM_PROV_HEADER, A, strlen(A));
	assert_int_equal(rd_kafka_header_cnt(h), 2);
	assert_string_equal(value(h, KM_PROV_HEADER, buf, sizeof(buf)), A);
	assert_int_equal(km_prov_state(h, KM_PROV_HEADER, A, strlen(A)), KM_PROV_SEEN);
	assert_int_equal(km_prov_state(h, KM_PROV_HEADER, B, strlen(B)), KM_PROV_OTHER);
	rd_kafka_headers_destroy(h);
	h = km_prov_append_new(NULL, KM_PROV_HEADER, B, strlen(B));
	assert_int_equal(rd_kafka_header_cnt(h), 1);
	assert_int_equal(km_prov_state(h, KM_PROV_HEADER, B, strlen(B)), KM_PROV_SEEN);
	rd_kafka_headers_destroy(h);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_list_has),        cmocka_unit_test(test_append_and_seen),
	    cmocka_unit_test(test_several_headers), cmocka_unit_test(test_ring),
	    cmocka_unit_test(test_strip),           cmocka_unit_test(test_state_and_append_new),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
