# Unit tests of Kafka's murmur2 and default partitioner: Kafka's golden
# vectors and a cross-check against librdkafka's murmur2 partitioner.
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_murmur2
tests_unit_test_murmur2_SOURCES = tests/unit/test_murmur2.c
tests_unit_test_murmur2_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_murmur2_LDADD = core/libkmcore.la $(CMOCKA_LIBS) $(RDKAFKA_LIBS)
endif
