# The fault suite (tests/faults/): kmirrord through toxiproxy against a test
# bed of its own while faults hit; see tests/faults/run.
#   make check-faults     the CI variant (at least 200,000 records a case)
# tests/faults/run --long runs the long variants by hand.
FAULT_TESTS = tests/faults/test_faults

EXTRA_DIST += tests/faults/run docs/RELIABILITY.md

if HAVE_CMOCKA
check_PROGRAMS += $(FAULT_TESTS)
TESTS += $(FAULT_TESTS)
tests_faults_test_faults_SOURCES = tests/faults/test_faults.c
tests_faults_test_faults_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_faults_test_faults_LDADD = tests/kafka/libktest.la -lpthread
EXTRA_tests_faults_test_faults_DEPENDENCIES = core/kmirrord $(plugins_LTLIBRARIES)

check-faults: $(FAULT_TESTS)
	$(top_srcdir)/tests/faults/run --builddir '$(abs_top_builddir)'
else
check-faults:
	@echo "cmocka not found: install the Debian package libcmocka-dev and re-run configure" >&2; exit 1
endif

.PHONY: check-faults
CLEANFILES += tests/faults-suite.log
