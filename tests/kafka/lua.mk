# Real-Kafka suite of the Lua stage: each script of lua/examples/ in a
# flow, the on_error policies with a script that fails records, and SIGHUP
# with a changed or broken script (see test_lua.c). The fan-in test needs
# the bed's clusters old and c (three regions and an aggregate).
if HAVE_CMOCKA
if HAVE_LUA
KAFKA_TESTS += tests/kafka/test_lua
tests_kafka_test_lua_SOURCES = tests/kafka/test_lua.c
tests_kafka_test_lua_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_test_lua_LDADD = tests/kafka/libktest.la
EXTRA_tests_kafka_test_lua_DEPENDENCIES = core/kmirrord $(plugins_LTLIBRARIES)
endif
endif
