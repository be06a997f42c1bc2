/* Helpers of the Lua unit tests: a lua_State with only the libraries the
 * Lua stage's sandbox opens, and chunks run under cmocka. */
#ifndef KM_TEST_LUATEST_H
#define KM_TEST_LUATEST_H

#include <lua.h>

/**
 * @brief A new lua_State with base, string, table, math and utf8 opened,
 *        and nothing else (no io, os, package, debug).
 *
 * @param[in] alloc  its allocator, or NULL for luaL_newstate()'s
 * @param[in] ud     @p alloc's user data
 *
 * @returns the state; caller owns it (lua_close()). Fails the test if none.
 */
lua_State *lt_new_state(lua_Alloc alloc, void *ud);

/**
 * @brief Runs @p chunk; a Lua error fails the test with its message and a
 *        traceback. Leaves the stack empty.
 */
void lt_run(lua_State *L, const char *chunk);

/** @brief A message handler for lua_pcall(): the message and a traceback. */
int lt_traceback(lua_State *L);

#endif /* KM_TEST_LUATEST_H */
