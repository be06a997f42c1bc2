/* Unit tests of Kafka's murmur2 and default partitioner (core/murmur2.c):
 * golden vectors from Apache Kafka, the tail and sign paths, and a
 * cross-check against librdkafka's Java-compatible partitioner. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <librdkafka/rdkafka.h>

#include "murmur2.h"

/* A key given as a string literal that may hold NUL bytes. */
#define K(s) s, sizeof(s) - 1

/* The partition counts every table below is checked against. */
static const int32_t part_cnts[] = {1, 3, 7, 100, 1024};
#define PART_CNT_N (sizeof(part_cnts) / sizeof(part_cnts[0]))

typedef struct vec {
	const char *key;
	size_t len;
	int32_t hash;                  /* Java's Utils.murmur2(key) */
	int32_t partition[PART_CNT_N]; /* for each of part_cnts */
} vec_t;

static void check_vecs(const vec_t *v, size_t n) {
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(km_murmur2(v[i].key, v[i].len), v[i].hash);
		for (size_t j = 0; j < PART_CNT_N; j++)
			assert_int_equal(km_murmur2_partition(v[i].key, v[i].len, part_cnts[j]),
			                 v[i].partition[j]);
	}
}

/* The hashes are Apache Kafka's own: apache/kafka,
 * clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java,
 * testMurmur2(). Kafka's partitioner tests (DefaultPartitionerTest,
 * BuiltInPartitionerTest) hold no literal key -> partition vectors, so the
 * partitions were computed by the Java client itself: kafka-clients 4.3.1,
 * BuiltInPartitioner.partitionForKey(key, n), which is
 * Utils.toPositive(Utils.murmur2(key)) % n. */
static void test_kafka_utils_vectors(void **state) {
	static const vec_t v[] = {
	    {K("21"), -973932308, {0, 0, 3, 40, 236}},
	    {K("foobar"), -790332482, {0, 0, 0, 66, 958}},
	    {K("a-little-bit-long-string"), -985981536, {0, 2, 1, 12, 416}},
	    {K("a-little-bit-longer-string"), -1486304829, {0, 2, 0, 19, 451}},
	    {K("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971, {0, 2, 3, 77, 461}},
	    {K("abc"), 479470107, {0, 0, 4, 7, 539}},
	};

	(void)state;
	check_vecs(v, sizeof(v) / sizeof(v[0]));
	/* toPositive is a mask, not abs(): abs(-973932308) % 100 would be 8 */
	assert_int_equal(km_murmur2_partition(K("21"), 100), 40);
}

/* Every tail path (len % 4 = 0..3) and the empty key. Values from
 * kafka-clients 4.3.1 (Utils.murmur2, BuiltInPartitioner.partitionForKey). */
static void test_tail_lengths(void **state) {
	static const vec_t v[] = {
	    {K(""), 275646681, {0, 0, 2, 81, 217}},
	    {K("a"), -1563381124, {0, 1, 5, 24, 636}},
	    {K("ab"), 316155434, {0, 2, 0, 34, 554}},
	    {K("abc"), 479470107, {0, 0, 4, 7, 539}},
	    {K("abcd"), -1323649548, {0, 2, 5, 0, 500}},
	    {K("abcde"), 461995741, {0, 1, 4, 41, 733}},
	};

	(void)state;
	check_vecs(v, sizeof(v) / sizeof(v[0]));
}

/* librdkafka's own Java-compatible vectors: confluentinc/librdkafka v2.0.2,
 * src/rdmurmur2.c, unittest_murmur2() (kept there as 32-bit patterns). They
 * cover lengths 1..5 and the word loop from several start offsets. */
static void test_librdkafka_vectors(void **state) {
	static const char unaligned[] = "PreAmbleWillBeRemoved,ThePrePartThatIs";
	static const struct {
		const char *key;
		uint32_t hash;
	} v[] = {
	    {"kafka", 0xd067cf64u},
	    {"giberish123456789", 0x8f552b0cu},
	    {"1234", 0x9fc97b14u},
	    {"234", 0xe7c009cau},
	    {"34", 0x873930dau},
	    {"4", 0x5a4b5ca1u},
	    {unaligned, 0x78424f1cu},
	    {unaligned + 1, 0x4a62b377u},
	    {unaligned + 2, 0xe0e4e09eu},
	    {unaligned + 3, 0x62b8b43fu},
	    {"", 0x106e08d9u},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal((uint32_t)km_murmur2(v[i].key, strlen(v[i].key)), v[i].hash);
	/* and the same bits as Java's int (kafka-clients 4.3.1) */
	assert_int_equal(km_murmur2(K("kafka")), -798503068);
}

/* Bytes >= 0x80 in the words and in each tail length: Java's bytes are
 * signed and only '& 0xff' keeps them from sign-extending; a C version
 * hashing through a (signed) char gets these wrong. Values from
 * kafka-clients 4.3.1. */
static void test_high_bytes(void **state) {
	static const vec_t v[] = {
	    {K("\x80"), 857690492, {0, 2, 1, 92, 380}},
	    {K("\xff"), -311467685, {0, 0, 5, 63, 347}},
	    {K("\xff\xfe"), 1717632651, {0, 0, 0, 51, 651}},
	    {K("\x80\x81\x82"), -1975640061, {0, 2, 6, 87, 3}},
	    {K("\xff\xff\xff\xff"), 644171429, {0, 2, 6, 29, 677}},
	    {K("\xff\xfe\xfd\xfc\xfb"), 524068735, {0, 1, 1, 35, 895}},
	    {K("\0\0\0\0\x80"), -850477039, {0, 1, 3, 9, 17}},
	    {K("\0\0\0\0\x80\x80"), -1456784995, {0, 1, 1, 53, 413}},
	    {K("\0\0\0\0\x80\x80\x80"), 296662001, {0, 2, 6, 1, 1009}},
	};
	unsigned char all[256];
	const int32_t all_part[PART_CNT_N] = {0, 1, 3, 74, 118};

	(void)state;
	check_vecs(v, sizeof(v) / sizeof(v[0]));
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	assert_int_equal(km_murmur2(all, sizeof(all)), -1948347274);
	for (size_t j = 0; j < PART_CNT_N; j++)
		assert_int_equal(km_murmur2_partition(all, sizeof(all), part_cnts[j]), all_part[j]);
}

static void test_partition_bounds(void **state) {
	uint32_t h = (uint32_t)km_murmur2(K("foobar"));

	(void)state;
	assert_int_equal(km_murmur2_partition(K("foobar"), 0), -1);
	assert_int_equal(km_murmur2_partition(K("foobar"), -1), -1);
	assert_int_equal(km_murmur2_partition(K("foobar"), INT32_MIN), -1);
	assert_int_equal(km_murmur2_partition(NULL, 0, 0), -1);
	assert_int_equal(km_murmur2_partition(K("foobar"), INT32_MAX),
	                 (int32_t)((h & 0x7fffffffu) % (uint32_t)INT32_MAX));
	/* a NULL key of length 0 is hashed as the empty key, never read */
	assert_int_equal(km_murmur2(NULL, 0), 275646681);
	assert_int_equal(km_murmur2_partition(NULL, 0, 100), 81);
}

/* librdkafka side. rdkafka.h documents rkt only as the topic being
 * partitioned and does not say NULL is accepted (2.0.2's
 * rd_kafka_msg_partitioner_murmur2() ignores it and the opaques), so the
 * test passes a real topic handle of a producer with no brokers: it never
 * connects. */
typedef struct rdk {
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
} rdk_t;

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
	(void)rk;
	(void)level;
	(void)fac;
	(void)buf;
}

static int rdk_setup(void **state) {
	static rdk_t r;
	char errstr[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	rd_kafka_conf_set_log_cb(conf, quiet_log);
	if (!(r.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr)))) {
		rd_kafka_conf_destroy(conf);
		print_error("rd_kafka_new: %s\n", errstr);
		return -1;
	}
	if (!(r.rkt = rd_kafka_topic_new(r.rk, "murmur2", NULL))) {
		rd_kafka_destroy(r.rk);
		return -1;
	}
	*state = &r;
	return 0;
}

static int rdk_teardown(void **state) {
	rdk_t *r = *state;

	rd_kafka_topic_destroy(r->rkt);
	rd_kafka_destroy(r->rk);
	return 0;
}

static uint32_t xorshift32(uint32_t *s) {
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* 4096 deterministic pseudo-random keys, each length 0..64 about 63 times,
 * at start offsets 0..3 (librdkafka has an aligned and an unaligned loop).
 * INT32_MAX partitions compares 31 bits of the hash, not only its residue. */
static void test_vs_librdkafka(void **state) {
	const rdk_t *r = *state;
	const int32_t cnts[] = {1, 3, 7, 100, 1024, INT32_MAX};
	_Alignas(8) unsigned char buf[64 + 8];
	uint32_t seed = 0x2545f491u;

	for (int i = 0; i < 4096; i++) {
		size_t len = (size_t)(i % 65);
		unsigned char *key = buf + (i & 3);

		for (size_t b = 0; b < len; b++)
			key[b] = (unsigned char)xorshift32(&seed);
		for (size_t j = 0; j < sizeof(cnts) / sizeof(cnts[0]); j++) {
			int32_t want =
			    rd_kafka_msg_partitioner_murmur2(r->rkt, key, len, cnts[j], NULL, NULL);

			if (km_murmur2_partition(key, len, cnts[j]) != want)
				fail_msg("key %d (len %zu) partitions %d: km %d, librdkafka %d", i,
				         len, (int)cnts[j],
				         (int)km_murmur2_partition(key, len, cnts[j]), (int)want);
		}
	}
}

/* Java's producer never hashes a null key (it sticks to a partition per
 * batch) but hashes an empty byte[] like any other key. librdkafka's plain
 * murmur2 partitioner hashes a NULL key as the empty key (rd_murmur2(NULL,
 * 0)); its murmur2_random variant sends NULL to the random partitioner. So
 * only the zero-length key is comparable, and both partitioners must hash
 * it as Java does. */
static void test_empty_and_null_key(void **state) {
	const rdk_t *r = *state;
	static const char empty[1] = "";
	const int32_t cnts[] = {1, 3, 7, 100, 1024, INT32_MAX};

	for (size_t j = 0; j < sizeof(cnts) / sizeof(cnts[0]); j++) {
		int32_t p = km_murmur2_partition(empty, 0, cnts[j]);

		assert_int_equal(p, (int32_t)(275646681 % cnts[j]));
		assert_int_equal(
		    rd_kafka_msg_partitioner_murmur2(r->rkt, empty, 0, cnts[j], NULL, NULL), p);
		assert_int_equal(
		    rd_kafka_msg_partitioner_murmur2_random(r->rkt, empty, 0, cnts[j], NULL, NULL),
		    p);
		/* librdkafka's NULL key: the empty key's partition, as ours */
		assert_int_equal(
		    rd_kafka_msg_partitioner_murmur2(r->rkt, NULL, 0, cnts[j], NULL, NULL), p);
		assert_int_equal(km_murmur2_partition(NULL, 0, cnts[j]), p);
	}
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kafka_utils_vectors), cmocka_unit_test(test_tail_lengths),
	    cmocka_unit_test(test_librdkafka_vectors),  cmocka_unit_test(test_high_bytes),
	    cmocka_unit_test(test_partition_bounds),    cmocka_unit_test(test_vs_librdkafka),
	    cmocka_unit_test(test_empty_and_null_key),
	};
	return cmocka_run_group_tests_name("murmur2", tests, rdk_setup, rdk_teardown);
}
