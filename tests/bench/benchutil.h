/* benchutil: what the benchmark's programs (kbench, klat, bare_pipe) share. */
#ifndef KM_BENCHUTIL_H
#define KM_BENCHUTIL_H

#include <stdint.h>

#include <librdkafka/rdkafka.h>

/* The program's name, the prefix of every message. */
extern const char *bench_prog;
/* Printed after a failure with status 2 (a usage error), if set. */
extern const char *bench_usage;

/* Prints "PROG: message" on stderr and exits with @p status. */
void bench_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* Sets a librdkafka property; a refused one is fatal (status 1). */
void bench_set(rd_kafka_conf_t *conf, const char *name, const char *value);
/* Pseudo-random numbers (xorshift64), the same sequence in every run. */
uint64_t bench_rnd(void);
/* CLOCK_MONOTONIC in seconds. */
double bench_now_s(void);

#endif
