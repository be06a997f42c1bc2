# Unit tests of the record-stage transform plugins (plugins/header_insert,
# header_drop, topic_router, filter, timestamp, partition): the real built
# modules through libltdl and the fake host, with the core's batches,
# arena and murmur2 as kmirrord hands them to a stage.
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_transforms
tests_unit_test_transforms_SOURCES = tests/unit/test_transforms.c \
	tests/unit/fakehost.c tests/unit/fakehost.h
tests_unit_test_transforms_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_transforms_LDADD = core/libkmcore.la $(CMOCKA_LIBS) $(LTDL_LIBS)
EXTRA_tests_unit_test_transforms_DEPENDENCIES = plugins/header_insert.la \
	plugins/header_drop.la plugins/topic_router.la plugins/filter.la \
	plugins/timestamp.la plugins/partition.la
endif
