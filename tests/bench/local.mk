# tests/bench/: the throughput benchmark (not a test; see docs/BENCHMARKS.md).
# bare_pipe is the ceiling contender, kbench the loader and watcher. They are
# built with the check programs, or alone by `make bench-programs`;
# `make bench` runs the benchmark (BENCH_ARGS, e.g. BENCH_ARGS=--smoke).
check_PROGRAMS += tests/bench/bare_pipe tests/bench/kbench tests/bench/klat tests/bench/prov_micro

tests_bench_bare_pipe_SOURCES = tests/bench/bare_pipe.c tests/bench/benchutil.c tests/bench/benchutil.h
tests_bench_bare_pipe_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
# the ceiling allocates as kmirrord does: with jemalloc when configured
tests_bench_bare_pipe_LDADD = $(JEMALLOC_LIBS) $(RDKAFKA_LIBS)

tests_bench_kbench_SOURCES = tests/bench/kbench.c tests/bench/benchutil.c tests/bench/benchutil.h
tests_bench_kbench_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
tests_bench_kbench_LDADD = $(RDKAFKA_LIBS)

tests_bench_klat_SOURCES = tests/bench/klat.c tests/bench/benchutil.c tests/bench/benchutil.h
tests_bench_klat_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
tests_bench_klat_LDADD = $(RDKAFKA_LIBS) -lm

# What provenance headers add per record, without Kafka.
tests_bench_prov_micro_SOURCES = tests/bench/prov_micro.c
tests_bench_prov_micro_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
tests_bench_prov_micro_LDADD = core/libkmcore.la

EXTRA_DIST += tests/bench/run tests/bench/report tests/bench/order tests/bench/keep90.lua tests/bench/README.md tests/bench/mm2.properties.in tests/bench/plot tests/bench/scale tests/bench/heap \
	tests/bench/proxy tests/bench/toxiproxy/go.mod tests/bench/toxiproxy/go.sum \
	tests/bench/toxiproxy/tools.go

# tests/bench/run's refusals of bad options, tests/bench/report on
# measurements of its own and tests/bench/order's balance, run by make
# check in the unit tier
# (tests/local.mk): they build nothing and start no broker.
BENCH_SH_TESTS = tests/bench/test_options tests/bench/test_report tests/bench/test_order
EXTRA_DIST += $(BENCH_SH_TESTS)

bench-programs: tests/bench/bare_pipe tests/bench/kbench tests/bench/klat core/kmirrord $(plugins_LTLIBRARIES)

bench: bench-programs
	$(top_srcdir)/tests/bench/run --build '$(abs_top_builddir)' --no-build $(BENCH_ARGS)

.PHONY: bench bench-programs
