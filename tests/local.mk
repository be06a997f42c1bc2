# tests/: three tiers.
#   make check            unit tests (no Kafka), milliseconds each; the
#                         real-Kafka tests report SKIP without a test bed
#   make check-unit       the unit tests alone (with the SDK install test,
#                         tests/unit/test_sdk_install.sh, and the benchmark's
#                         option errors, tests/bench/test_options)
#   make check-valgrind   the unit tests under valgrind
#   make check-kafka      suites against real Kafka brokers (tests/kafka/testbed);
#                         KAFKA_VERSION picks the broker version
#   make check-kafka-smoke  the real-Kafka smoke tests only
#   make check-kafka-acl  the API smoke test on clusters with an authorizer,
#                         and ACL sync (test_acls)
#   make check-kafka-tls  the SASL_SSL and mutual TLS suite, on a bed with
#                         --sasl --mtls (tests/kafka/tls.mk)
#   make check-memcheck   kmirrord under valgrind's memcheck for a short
#                         replication (tests/kafka/memcheck.mk)
# Every test program speaks TAP (cmocka's TAP output), so each test case counts.

LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
AM_TESTS_ENVIRONMENT = CMOCKA_MESSAGE_OUTPUT=TAP; export CMOCKA_MESSAGE_OUTPUT; \
	KM_TEST_BUILDDIR='$(abs_top_builddir)'; export KM_TEST_BUILDDIR; \
	KM_TEST_SRCDIR='$(abs_top_srcdir)'; export KM_TEST_SRCDIR;

UNIT_TESTS = \
	tests/unit/test_err

KAFKA_SMOKE_TESTS = \
	tests/kafka/test_roundtrip \
	tests/kafka/test_api

KAFKA_TESTS = $(KAFKA_SMOKE_TESTS)

EXTRA_DIST += \
	tests/kafka/testbed \
	tests/kafka/with-testbed \
	tests/package/run \
	tests/debian13/run \
	tests/debian13/mkchroot \
	tests/kafka/versions \
	tests/kafka/pom.xml \
	tests/interop/MirrorInterop.java \
	tests/interop/run \
	tests/interop/README.md \
	tests/tsan.supp

if HAVE_CMOCKA
check_PROGRAMS += $(UNIT_TESTS) $(KAFKA_TESTS)
TESTS += $(UNIT_TESTS) $(UNIT_SH_TESTS) $(BENCH_SH_TESTS) $(KAFKA_TESTS)

check_LTLIBRARIES = tests/kafka/libktest.la
tests_kafka_libktest_la_SOURCES = tests/kafka/ktest.c tests/kafka/ktest.h
tests_kafka_libktest_la_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_libktest_la_LIBADD = $(RDKAFKA_LIBS) $(CMOCKA_LIBS)

tests_unit_test_err_SOURCES = tests/unit/test_err.c
tests_unit_test_err_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(RDKAFKA_CFLAGS)
tests_unit_test_err_LDADD = core/libkmcore.la $(CMOCKA_LIBS)

tests_kafka_test_roundtrip_SOURCES = tests/kafka/test_roundtrip.c
tests_kafka_test_roundtrip_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_test_roundtrip_LDADD = tests/kafka/libktest.la

tests_kafka_test_api_SOURCES = tests/kafka/test_api.c
tests_kafka_test_api_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_test_api_LDADD = tests/kafka/libktest.la

VALGRIND_FLAGS = -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect

check-unit: $(UNIT_TESTS)
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(UNIT_TESTS) $(UNIT_SH_TESTS) $(BENCH_SH_TESTS)' \
		TEST_SUITE_LOG=tests/unit-suite.log

check-valgrind: $(UNIT_TESTS)
	@test -n "$(VALGRIND)" || { echo "valgrind not found: install the Debian package valgrind" >&2; exit 1; }
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(UNIT_TESTS)' TEST_SUITE_LOG=tests/valgrind-suite.log \
		LOG_COMPILER='$(LIBTOOL) --mode=execute $(VALGRIND) $(VALGRIND_FLAGS)'

# The suites share one test bed: two clusters, a and b, `old` on the
# older Kafka line (versions, second line) for cross-version tests, and
# `agg`, the aggregate of the Lua suite's fan-in topology (a, b and old into
# it; about 3 s more to start), up for the whole run and always stopped
# afterwards (with-testbed). KAFKA_SKIP (make check-kafka KAFKA_SKIP=...)
# leaves suites out: scripts/check-all's tsan tier does, for time.
KAFKA_SKIP =
check-kafka: $(KAFKA_TESTS)
	$(top_srcdir)/tests/kafka/with-testbed a b old@`sed -n '/^[0-9]/p' $(top_srcdir)/tests/kafka/versions | sed -n 2p` agg -- \
		$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(filter-out $(KAFKA_SKIP),$(KAFKA_TESTS))' \
		TEST_SUITE_LOG=tests/kafka-suite.log

# The API smoke test again on clusters with an authorizer, for the ACL APIs;
# then ACL sync (test_acls) on clusters with an authorizer and SASL_SSL,
# for the bed's ordinary SCRAM user (--sasl runs them on the 3.x line),
# beside a plain cluster p, for sources and targets without an authorizer.
check-kafka-acl: tests/kafka/test_api tests/kafka/test_acls
	rm -f tests/kafka-acls-suite.log
	$(top_srcdir)/tests/kafka/with-testbed --acl a b -- env KM_TESTBED_ACL=1 \
		$(MAKE) $(AM_MAKEFLAGS) check TESTS='tests/kafka/test_api' TEST_SUITE_LOG=tests/kafka-acl-suite.log
	$(top_srcdir)/tests/kafka/with-testbed --acl --sasl a b -- \
		$(top_srcdir)/tests/kafka/with-testbed p -- env KM_TESTBED_ACL=1 \
		$(MAKE) $(AM_MAKEFLAGS) check TESTS='tests/kafka/test_acls' TEST_SUITE_LOG=tests/kafka-acls-suite.log

check-kafka-smoke: $(KAFKA_SMOKE_TESTS)
	$(top_srcdir)/tests/kafka/with-testbed a b -- \
		$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(KAFKA_SMOKE_TESTS)' TEST_SUITE_LOG=tests/kafka-smoke-suite.log
else
check-unit check-valgrind check-kafka check-kafka-smoke check-kafka-acl:
	@echo "cmocka not found: install the Debian package libcmocka-dev and re-run configure" >&2; exit 1
check-local:
	@echo "cmocka not found: install the Debian package libcmocka-dev and re-run configure" >&2; exit 1
endif

.PHONY: check-unit check-valgrind check-kafka check-kafka-smoke check-kafka-acl
CLEANFILES += tests/unit-suite.log tests/valgrind-suite.log tests/kafka-suite.log tests/kafka-smoke-suite.log tests/kafka-acl-suite.log \
	tests/kafka-acls-suite.log
