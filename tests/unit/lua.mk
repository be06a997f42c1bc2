# Unit tests of the Lua stage (lua.so) through the real plugin host: the
# record API, the sandbox, the limits and script errors.
if HAVE_CMOCKA
if HAVE_LUA
UNIT_TESTS += tests/unit/test_lua
tests_unit_test_lua_SOURCES = tests/unit/test_lua.c
tests_unit_test_lua_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_lua_LDADD = core/libkmcore.la $(CMOCKA_LIBS)
EXTRA_tests_unit_test_lua_DEPENDENCIES = lua/lua.la
endif
endif
