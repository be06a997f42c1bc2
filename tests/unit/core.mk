# Unit tests of core pieces without Kafka (progress format, batches).
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_core
tests_unit_test_core_SOURCES = tests/unit/test_core.c
tests_unit_test_core_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(RDKAFKA_CFLAGS)
tests_unit_test_core_LDADD = core/libkmcore.la $(CMOCKA_LIBS)
endif

# The in-flight accounting and the control task table, without brokers.
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_inflight tests/unit/test_tasks tests/unit/test_ratelimit \
	tests/unit/test_mstate
tests_unit_test_inflight_SOURCES = tests/unit/test_inflight.c
tests_unit_test_inflight_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_inflight_LDADD = core/libkmcore.la $(CMOCKA_LIBS)
tests_unit_test_ratelimit_SOURCES = tests/unit/test_ratelimit.c
tests_unit_test_ratelimit_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/core
tests_unit_test_ratelimit_LDADD = $(CMOCKA_LIBS)

tests_unit_test_mstate_SOURCES = tests/unit/test_mstate.c
tests_unit_test_mstate_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/core
tests_unit_test_mstate_LDADD = core/libkmcore.la $(CMOCKA_LIBS)

tests_unit_test_tasks_SOURCES = tests/unit/test_tasks.c
tests_unit_test_tasks_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(RDKAFKA_CFLAGS)
tests_unit_test_tasks_LDADD = core/libkmcore.la $(CMOCKA_LIBS)
endif

# Provenance headers: the list format, the scan and the append.
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_provenance
tests_unit_test_provenance_SOURCES = tests/unit/test_provenance.c
tests_unit_test_provenance_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(RDKAFKA_CFLAGS)
tests_unit_test_provenance_LDADD = core/libkmcore.la $(CMOCKA_LIBS)
endif
