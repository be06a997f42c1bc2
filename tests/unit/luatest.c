/* Helpers of the Lua unit tests (see luatest.h). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <lauxlib.h>
#include <lualib.h>

#include "luatest.h"

lua_State *lt_new_state(lua_Alloc alloc, void *ud) {
	static const luaL_Reg libs[] = {
	    {LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},
	    {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
	    {LUA_UTF8LIBNAME, luaopen_utf8}, {NULL, NULL},
	};
	lua_State *L = alloc ? lua_newstate(alloc, ud) : luaL_newstate();

	assert_non_null(L);
	for (const luaL_Reg *lib = libs; lib->name; lib++) {
		luaL_requiref(L, lib->name, lib->func, 1);
		lua_pop(L, 1);
	}
	return L;
}

int lt_traceback(lua_State *L) {
	luaL_traceback(L, L, lua_tostring(L, 1), 1);
	return 1;
}

void lt_run(lua_State *L, const char *chunk) {
	lua_pushcfunction(L, lt_traceback);
	if (luaL_loadstring(L, chunk) || lua_pcall(L, 0, 0, -2))
		fail_msg("%s", lua_tostring(L, -1));
	lua_settop(L, 0);
}
