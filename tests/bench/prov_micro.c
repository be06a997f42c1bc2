/* prov_micro: what provenance headers add to each record on the copy path,
 * without Kafka: for records with the benchmark's two headers, the scan
 * for the target's id and the append of the source's (what copy_direct
 * does per record) on top of making and freeing a headers object; and for
 * records with no headers. Prints nanoseconds per record; run it a few
 * times on a busy machine (docs/BENCHMARKS.md). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "provenance.h"

#define N 2000000

static double now(void) {
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void) {
	static const char src[] = "Bq3uZt2WQ5K0pXfVb9nLAw", dst[] = "x7Y-dJk_R0aV3Jm1oQpZqg";
	rd_kafka_headers_t *tpl = rd_kafka_headers_new(2);
	volatile int seen = 0;
	double t0, t1, t2, t3;

	rd_kafka_header_add(tpl, "trace-id", -1, "0123456789abcdef", -1);
	rd_kafka_header_add(tpl, "origin", -1, "bench", -1);
	t0 = now();
	for (int i = 0; i < N; i++)
		rd_kafka_headers_destroy(rd_kafka_headers_copy(tpl));
	t1 = now();
	for (int i = 0; i < N; i++) {
		rd_kafka_headers_t *h = rd_kafka_headers_copy(tpl);
		/* copy_direct: one scan, then the append it tells needs none */
		km_prov_state_t st = km_prov_state(h, KM_PROV_HEADER, dst, sizeof(dst) - 1);
		seen += st == KM_PROV_SEEN;
		rd_kafka_headers_destroy(
		    st == KM_PROV_NONE ? km_prov_append_new(h, KM_PROV_HEADER, src, sizeof(src) - 1)
		                       : km_prov_append(h, KM_PROV_HEADER, src, sizeof(src) - 1));
	}
	t2 = now();
	for (int i = 0; i < N; i++) {
		seen += km_prov_seen(NULL, KM_PROV_HEADER, dst, sizeof(dst) - 1);
		rd_kafka_headers_destroy(
		    km_prov_append_new(NULL, KM_PROV_HEADER, src, sizeof(src) - 1));
	}
	t3 = now();
	printf("two headers: %.1f ns/record, %.1f with provenance: +%.1f\n", (t1 - t0) / N * 1e9,
	       (t2 - t1) / N * 1e9, ((t2 - t1) - (t1 - t0)) / N * 1e9);
	printf("no headers: +%.1f ns/record\n", (t3 - t2) / N * 1e9);
	rd_kafka_headers_destroy(tpl);
	return seen < 0;
}
