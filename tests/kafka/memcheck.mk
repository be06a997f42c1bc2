# kmirrord under valgrind's memcheck for a short replication
# (test_memcheck.c): zero errors, zero definite leaks, with the
# suppressions of tests/memcheck.supp. Not among KAFKA_TESTS (a sanitized
# build cannot run under valgrind): make check-memcheck runs it on a bed of
# its own.
if HAVE_CMOCKA
check_PROGRAMS += tests/kafka/test_memcheck
# in TESTS for its make rules; without a bed (make check) it reports SKIP
TESTS += tests/kafka/test_memcheck
tests_kafka_test_memcheck_SOURCES = tests/kafka/test_memcheck.c
tests_kafka_test_memcheck_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_test_memcheck_LDADD = tests/kafka/libktest.la
EXTRA_tests_kafka_test_memcheck_DEPENDENCIES = core/kmirrord $(plugins_LTLIBRARIES)

check-memcheck: tests/kafka/test_memcheck core/kmirrord
	@test -n "$(VALGRIND)" || { echo "valgrind not found: install the Debian package valgrind" >&2; exit 1; }
	$(top_srcdir)/tests/kafka/with-testbed a b -- \
		$(MAKE) $(AM_MAKEFLAGS) check TESTS='tests/kafka/test_memcheck' \
		TEST_SUITE_LOG=tests/memcheck-suite.log
else
check-memcheck:
	@echo "cmocka not found: install the Debian package libcmocka-dev and re-run configure" >&2; exit 1
endif
.PHONY: check-memcheck
CLEANFILES += tests/memcheck-suite.log
EXTRA_DIST += tests/memcheck.supp
