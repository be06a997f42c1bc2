# Unit tests of the policy and filter plugins: the real built modules,
# loaded with libltdl from the build tree, driven through a fake host table.
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_policies tests/unit/test_topic_regex tests/unit/test_mm2_filters

AM_TESTS_ENVIRONMENT += KM_TEST_PLUGIN_DIR='$(abs_top_builddir)'; export KM_TEST_PLUGIN_DIR;

tests_unit_test_policies_SOURCES = tests/unit/test_policies.c \
	tests/unit/fakehost.c tests/unit/fakehost.h
tests_unit_test_policies_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_policies_LDADD = $(CMOCKA_LIBS) $(LTDL_LIBS)
EXTRA_tests_unit_test_policies_DEPENDENCIES = policies/prefix.la policies/identity.la

tests_unit_test_topic_regex_SOURCES = tests/unit/test_topic_regex.c \
	tests/unit/fakehost.c tests/unit/fakehost.h
tests_unit_test_topic_regex_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_topic_regex_LDADD = $(CMOCKA_LIBS) $(LTDL_LIBS)
EXTRA_tests_unit_test_topic_regex_DEPENDENCIES = plugins/topic_regex.la

tests_unit_test_mm2_filters_SOURCES = tests/unit/test_mm2_filters.c \
	tests/unit/fakehost.c tests/unit/fakehost.h
tests_unit_test_mm2_filters_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_mm2_filters_LDADD = $(CMOCKA_LIBS) $(LTDL_LIBS)
EXTRA_tests_unit_test_mm2_filters_DEPENDENCIES = plugins/group_regex.la plugins/config_regex.la
endif
