/* Unit tests of kmirror.window (lua/lib/window.lua), loaded from the
 * source tree into a lua_State that has only the libraries the stage's
 * sandbox opens (base, string, table, math, utf8): window order, keys in
 * first-seen order, late records, max_keys and max_windows, a custom
 * fold, empty windows never emitted. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include <lauxlib.h>
#include <lua.h>

#include "luatest.h"

/* collect(w, now): "start key acc;" for each window closed, in order. */
static const char prelude[] =
    "function eq(got, want, what)\n"
    "  if got ~= want then\n"
    "    error(string.format('%s: got %s, want %s', what or 'eq', tostring(got),\n"
    "          tostring(want)), 2)\n"
    "  end\n"
    "end\n"
    "function collect(w, now)\n"
    "  local out = {}\n"
    "  for start, key, acc in w:close(now) do\n"
    "    out[#out + 1] = string.format('%s %s %s;', start, key, tostring(acc))\n"
    "  end\n"
    "  return table.concat(out)\n"
    "end\n";

static int setup(void **state) {
	lua_State *L = lt_new_state(NULL, NULL);

	if (luaL_loadfile(L, KM_LUA_LIBDIR "/window.lua") || lua_pcall(L, 0, 1, 0))
		fail_msg("window.lua: %s", lua_tostring(L, -1));
	lua_setglobal(L, "window");
	if (luaL_dostring(L, prelude))
		fail_msg("prelude: %s", lua_tostring(L, -1));
	*state = L;
	return 0;
}

static int teardown(void **state) {
	lua_close(*state);
	return 0;
}

/* Windows oldest first, whatever order records came in; keys in the order
 * first seen; a window closes when its end is at or before now. */
static void test_order(void **state) {
	lt_run(*state, "local w = window.tumbling{size_ms = 10}\n"
	               "assert(w:add(25, 'b'))\n"
	               "assert(w:add(3, 'x', 5))\n"
	               "assert(w:add(21, 'a'))\n"
	               "assert(w:add(12, 'k', 2))\n"
	               "assert(w:add(29, 'b', 3))\n"
	               "assert(w:add(0, 'x'))\n"
	               "eq(collect(w, 9), '')\n"
	               "eq(collect(w, 10), '0 x 6;')\n"
	               "eq(collect(w, 10), '')\n"
	               "eq(collect(w, 30), '10 k 2;20 b 4;20 a 1;')\n"
	               "eq(collect(w, 1000), '')\n"
	               "eq(w.late, 0) eq(w.refused, 0)\n");
}

/* A record for a window already closed is refused and counted; one for a
 * window still open is not, even if older than others. */
static void test_late(void **state) {
	lt_run(*state, "local w = window.tumbling{size_ms = 10}\n"
	               "assert(w:add(5, 'a'))\n"
	               "assert(w:add(15, 'a'))\n"
	               "eq(collect(w, 12), '0 a 1;')\n"
	               "local ok, why = w:add(9, 'a')\n"
	               "eq(ok, false) eq(why, 'late: the window [0, 10) is already closed')\n"
	               "eq(w.late, 1)\n"
	               "assert(w:add(10, 'b'))\n"
	               "assert(w:add(19, 'a'))\n"
	               "eq(collect(w, 5), '')\n"
	               "eq(w:add(1, 'z'), false)\n"
	               "eq(w.late, 2) eq(w.refused, 0)\n"
	               "eq(collect(w, 20), '10 a 2;10 b 1;')\n");
}

/* max_keys bounds each window on its own; max_windows the open ones. */
static void test_limits(void **state) {
	lt_run(*state, "local w = window.tumbling{size_ms = 100, max_keys = 2, max_windows = 2}\n"
	               "assert(w:add(1, 'a')) assert(w:add(2, 'b'))\n"
	               "local ok, why = w:add(3, 'c')\n"
	               "eq(ok, false) eq(why, 'max_keys (2) reached in the window [0, 100)')\n"
	               "assert(w:add(4, 'a'))\n"
	               "assert(w:add(150, 'c'))\n"
	               "ok, why = w:add(250, 'd')\n"
	               "eq(ok, false) eq(why, 'max_windows (2) windows are open')\n"
	               "eq(w.refused, 2) eq(w.late, 0)\n"
	               "eq(collect(w, 200), '0 a 2;0 b 1;100 c 1;')\n"
	               "assert(w:add(250, 'd'))\n"
	               "eq(collect(w, 300), '200 d 1;')\n");
}

/* init and fold: any accumulator, and v passed through as given. */
static void test_custom_fold(void **state) {
	lt_run(*state,
	       "local w = window.tumbling{size_ms = 1000,\n"
	       "  init = function() return {n = 0, max = -math.huge} end,\n"
	       "  fold = function(acc, v)\n"
	       "    acc.n = acc.n + 1\n"
	       "    if v > acc.max then acc.max = v end\n"
	       "    return acc\n"
	       "  end}\n"
	       "w:add(100, 'p1', 7) w:add(200, 'p1', 3) w:add(300, 'p2', 1)\n"
	       "w:add(1500, 'p1', 9)\n"
	       "local got = {}\n"
	       "for start, key, acc in w:close(2000) do\n"
	       "  got[#got + 1] = string.format('%d %s %d %d', start, key, acc.n, acc.max)\n"
	       "end\n"
	       "eq(table.concat(got, ';'), '0 p1 2 7;0 p2 1 1;1000 p1 1 9')\n"
	       "local s = window.tumbling{size_ms = 10,\n"
	       "  init = function() return '' end,\n"
	       "  fold = function(acc, v) return acc .. v end}\n"
	       "s:add(1, 'k', 'a') s:add(2, 'k', 'b')\n"
	       "eq(collect(s, 10), '0 k ab;')\n"
	       "local sum = window.tumbling{size_ms = 10}\n"
	       "sum:add(1, 'k', 2.5) sum:add(2, 'k')\n"
	       "eq(collect(sum, 10), '0 k 3.5;')\n");
}

/* Only windows that got records exist: a gap emits nothing, negative and
 * float timestamps land in the right window, and breaking out of the loop
 * still forgets every window closed. */
static void test_empty_and_edges(void **state) {
	lt_run(*state, "local w = window.tumbling{size_ms = 10}\n"
	               "w:add(5, 'a') w:add(95, 'a') w:add(-1, 'n') w:add(10.5, 'f')\n"
	               "eq(collect(w, 1000), '-10 n 1;0 a 1;10 f 1;90 a 1;')\n"
	               "w:add(1005, 'a') w:add(1015, 'b')\n"
	               "for start in w:close(2000) do break end\n"
	               "eq(collect(w, 3000), '')\n"
	               "eq(w:add(1019, 'b'), false)\n"
	               "eq(w.late, 1)\n");
}

static void test_bad_arguments(void **state) {
	lt_run(*state,
	       "local function raises(want, f, ...)\n"
	       "  local ok, msg = pcall(f, ...)\n"
	       "  eq(ok, false)\n"
	       "  assert(string.find(msg, want, 1, true), msg)\n"
	       "end\n"
	       "raises('size_ms must be an integer >= 1, got nil', window.tumbling, {})\n"
	       "raises('size_ms must be an integer >= 1, got 0', window.tumbling, {size_ms = 0})\n"
	       "raises('max_keys must be an integer >= 1, got 1.5', window.tumbling,\n"
	       "       {size_ms = 1, max_keys = 1.5})\n"
	       "raises('fold must be a function, got number', window.tumbling,\n"
	       "       {size_ms = 1, fold = 1})\n"
	       "raises('a table of options expected', window.tumbling, 10)\n"
	       "local w = window.tumbling{size_ms = 10}\n"
	       "raises('key must not be nil', w.add, w, 1, nil)\n"
	       "raises('ts_ms must be a number', w.add, w, 'x', 'k')\n"
	       "raises('now_ms must be a number', w.close, w, nil)\n");
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_late, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_custom_fold, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_and_edges, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
	};

	return cmocka_run_group_tests_name("lua_window", tests, NULL, NULL);
}
