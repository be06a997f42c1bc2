# The Lua stage's helper modules, each in a bare lua_State with the
# sandbox's libraries: kmirror.json (lua/json.c, compiled in) and
# kmirror.window (lua/lib/window.lua, loaded from the source tree).
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_lua_json tests/unit/test_lua_window
tests_unit_test_lua_json_SOURCES = tests/unit/test_lua_json.c tests/unit/luatest.c \
	tests/unit/luatest.h lua/json.c lua/json.h
tests_unit_test_lua_json_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lua -I$(top_srcdir)/tests/unit
tests_unit_test_lua_json_CFLAGS = $(AM_CFLAGS) $(LUA_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_lua_json_LDADD = $(LUA_LIBS) $(CMOCKA_LIBS) -lm
tests_unit_test_lua_window_SOURCES = tests/unit/test_lua_window.c tests/unit/luatest.c \
	tests/unit/luatest.h
tests_unit_test_lua_window_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit \
	-DKM_LUA_LIBDIR='"$(abs_top_srcdir)/lua/lib"'
tests_unit_test_lua_window_CFLAGS = $(AM_CFLAGS) $(LUA_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_lua_window_LDADD = $(LUA_LIBS) $(CMOCKA_LIBS)
endif
