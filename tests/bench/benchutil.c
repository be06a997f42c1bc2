/* benchutil: what the benchmark's programs share (benchutil.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "benchutil.h"

const char *bench_prog = "bench";
const char *bench_usage;

void bench_fail(int status, const char *fmt, ...) {
	va_list ap;

	fprintf(stderr, "%s: ", bench_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (status == 2 && bench_usage)
		fputs(bench_usage, stderr);
	exit(status);
}

void bench_set(rd_kafka_conf_t *conf, const char *name, const char *value) {
	char errstr[512];

	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
		bench_fail(1, "%s: %s", name, errstr);
}

static uint64_t xs = 0x9E3779B97F4A7C15ull;

uint64_t bench_rnd(void) {
	xs ^= xs << 13;
	xs ^= xs >> 7;
	xs ^= xs << 17;
	return xs;
}

double bench_now_s(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
