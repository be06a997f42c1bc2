/* Unit tests of kmirror.json (lua/json.c) in a bare lua_State with the
 * libraries the stage's sandbox opens: what lua-cjson loses (big integers,
 * '/', key order), get/set/remove byte for byte, decode and encode, every
 * kind of invalid JSON with its message, the nesting limit, and a memory
 * cap hit halfway through. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <lauxlib.h>
#include <lua.h>

#include "json.h"
#include "luatest.h"

/* Helpers every chunk can use: eq(got, want) and fails(want_msg, nil, msg). */
static const char prelude[] =
    "function eq(got, want, what)\n"
    "  if got ~= want or math.type(got) ~= math.type(want) then\n"
    "    error(string.format('%s: got %s (%s), want %s (%s)', what or 'eq', tostring(got),\n"
    "          math.type(got) or type(got), tostring(want), math.type(want) or type(want)), 2)\n"
    "  end\n"
    "end\n"
    "function fails(want, got, msg)\n"
    "  if got ~= nil then error('expected nil, got ' .. tostring(got), 2) end\n"
    "  if msg ~= want then error(string.format('message: got %q, want %q', tostring(msg),\n"
    "                                          want), 2) end\n"
    "end\n"
    "function raises(want, f, ...)\n"
    "  local ok, msg = pcall(f, ...)\n"
    "  if ok then error('expected an error', 2) end\n"
    "  if not string.find(msg, want, 1, true) then\n"
    "    error(string.format('error %q does not hold %q', msg, want), 2) end\n"
    "end\n";

static lua_State *new_state(lua_Alloc alloc, void *ud) {
	lua_State *L = lt_new_state(alloc, ud);

	luaL_requiref(L, "json", km_lua_json_open, 1);
	lua_pop(L, 1);
	if (luaL_dostring(L, prelude))
		fail_msg("prelude: %s", lua_tostring(L, -1));
	return L;
}

/* The global @p name holds @p text (a C literal: escapes stay exact). */
static void set_global(lua_State *L, const char *name, const char *text) {
	lua_pushstring(L, text);
	lua_setglobal(L, name);
}

/* "return EXPR" gives exactly the bytes @p want. */
static void check_str(lua_State *L, const char *expr, const char *want) {
	char chunk[1024];
	const char *got;
	size_t len;

	snprintf(chunk, sizeof(chunk), "return %s", expr);
	lua_pushcfunction(L, lt_traceback);
	if (luaL_loadstring(L, chunk) || lua_pcall(L, 0, 2, -2))
		fail_msg("%s: %s", expr, lua_tostring(L, -1));
	if (lua_type(L, -2) != LUA_TSTRING)
		fail_msg("%s: no text but %s (%s)", expr, luaL_typename(L, -2),
		         lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
	got = lua_tolstring(L, -2, &len);
	if (len != strlen(want) || memcmp(got, want, len) != 0)
		fail_msg("%s:\n got  %s\n want %s", expr, got, want);
	lua_settop(L, 0);
}

static int setup(void **state) {
	*state = new_state(NULL, NULL);
	return 0;
}

static int teardown(void **state) {
	lua_close(*state);
	return 0;
}

/* What Debian's lua-cjson gets wrong: masking one field must leave the
 * others as they were. */
static void test_cjson_cases(void **state) {
	lua_State *L = *state;

	set_global(L, "T",
	           "{\"id\":1234567890123456789,\"url\":\"http://a/b\",\"z\":1,\"email\":\"a@b.c\","
	           "\"a\":2}");
	lt_run(L, "eq(json.get(T, 'id'), 1234567890123456789)\n"
	          "local v = json.decode(T)\n"
	          "eq(v.id, 1234567890123456789)\n"
	          "eq(json.decode('-9223372036854775808'), math.mininteger)\n"
	          "eq(json.decode('9223372036854775807'), math.maxinteger)\n");
	check_str(L, "json.encode(json.decode(T))",
	          "{\"id\":1234567890123456789,\"url\":"
	          "\"http://a/b\",\"z\":1,\"email\":\"a@b.c\",\"a\":2}");
	check_str(L, "json.set(T, 'email', '***')",
	          "{\"id\":1234567890123456789,\"url\":\"http://a/b\",\"z\":1,\"email\":\"***\","
	          "\"a\":2}");
	check_str(L, "json.encode('a/b')", "\"a/b\"");
	/* a key added to a decoded object goes after the ones it had */
	check_str(L,
	          "(function() local v = json.decode(T); v.email = nil; v.masked = true; "
	          "v.b = 0; return json.encode(v) end)()",
	          "{\"id\":1234567890123456789,\"url\":\"http://a/b\",\"z\":1,\"a\":2,\"b\":0,"
	          "\"masked\":true}");
}

static void test_get(void **state) {
	lua_State *L = *state;

	set_global(L, "T",
	           "{ \"user\" : { \"email\": \"a@b.c\", \"tags\": [\"x\", {\"k\": [10, 20]}] },\n"
	           "  \"a.b\": 1, \"n\": null, \"f\": false, \"0\": \"zero\", \"\\u0065sc\": 5,\n"
	           "  \"dup\": 1, \"dup\": 2, \"e\": {}, \"l\": [] }");
	lt_run(L, "eq(json.get(T, 'user.email'), 'a@b.c')\n"
	          "eq(json.get(T, {'user', 'email'}), 'a@b.c')\n"
	          "eq(json.get(T, 'user.tags.1'), 'x')\n"
	          "eq(json.get(T, {'user', 'tags', 2, 'k', 2}), 20)\n"
	          "eq(json.get(T, 'user.tags.2.k.1'), 10)\n"
	          "eq(json.get(T, {'a.b'}), 1)\n"
	          "eq(json.get(T, 'a.b'), nil)\n"
	          "eq(json.get(T, 'n'), json.null)\n"
	          "eq(json.get(T, 'f'), false)\n"
	          "eq(json.get(T, '0'), 'zero')\n"
	          "eq(json.get(T, {0 + 1}), nil)\n"
	          "eq(json.get(T, 'esc'), 5)\n"
	          "eq(json.get(T, 'dup'), 2)\n"
	          "eq(json.get(T, 'user.tags.3'), nil)\n"
	          "eq(json.get(T, 'user.tags.0'), nil)\n"
	          "eq(json.get(T, 'user.tags.01'), nil)\n"
	          "eq(json.get(T, {'user', 'tags', '1'}), nil)\n"
	          "eq(json.get(T, 'user.email.x'), nil)\n"
	          "eq(json.get(T, 'nope'), nil)\n"
	          "eq(select('#', json.get(T, 'nope')), 1)\n"
	          "local t = json.get(T, 'user.tags.2')\n"
	          "eq(t.k[2], 20)\n"
	          "eq(getmetatable(json.get(T, 'l')), 'kmirror.json.array')\n"
	          "eq(getmetatable(json.get(T, 'e')), 'kmirror.json.object')\n"
	          "eq(json.get(T, {}).user.email, 'a@b.c')\n"
	          "eq(json.get('[1,[2,3]]', '2.2'), 3)\n"
	          "eq(json.get(' 7 ', {}), 7)\n");
	/* the whole text is checked, not only up to the value */
	lt_run(L,
	       "fails('json.get: expected \\',\\' or \\'}\\' after an object member (\\']\\') at "
	       "byte offset 6', json.get('{\"a\":1]', 'a'))\n");
	lt_run(L, "raises('string or table path expected', json.get, '{}', 1)\n"
	          "raises('path element 2 is 0; an array index is an integer from 1', json.get, "
	          "'{}', {'a', 0})\n"
	          "raises('path element 1 is 1.5; an array index is an integer from 1', json.get, "
	          "'{}', {1.5})\n"
	          "raises('path element 1 is a boolean; a string key or an integer index', "
	          "json.get, '{}', {true})\n"
	          "raises('the path has more than 200 elements', json.get, '{}', "
	          "string.rep('a', 201, '.'))\n");
}

static void test_set(void **state) {
	lua_State *L = *state;

	/* odd spacing, escapes and number spellings survive byte for byte */
	set_global(
	    L, "T",
	    "{\n\t\"user\" :{ \"email\":\"a@b.c\" ,\"n\": 1.50E+2, \"s\": \"\\u00e9\\/\\n\" },\n"
	    "  \"items\": [ 1 , [2], 3 ]\r\n}  ");
	check_str(
	    L, "json.set(T, 'user.email', 'x/y\"')",
	    "{\n\t\"user\" :{ \"email\":\"x/y\\\"\" ,\"n\": 1.50E+2, \"s\": \"\\u00e9\\/\\n\" "
	    "},\n  \"items\": [ 1 , [2], 3 ]\r\n}  ");
	check_str(L, "json.set(T, {'items', 2}, {a = json.array()})",
	          "{\n\t\"user\" :{ \"email\":\"a@b.c\" ,\"n\": 1.50E+2, \"s\": \"\\u00e9\\/\\n\" "
	          "},\n  \"items\": [ 1 , {\"a\":[]}, 3 ]\r\n}  ");
	check_str(L, "json.set(T, 'items.2.1', json.null)",
	          "{\n\t\"user\" :{ \"email\":\"a@b.c\" ,\"n\": 1.50E+2, \"s\": \"\\u00e9\\/\\n\" "
	          "},\n  \"items\": [ 1 , [null], 3 ]\r\n}  ");
	/* a missing last key goes at the end of its object, spaced like the
	 * member before it */
	check_str(L, "json.set(T, 'user.new', 1.5)",
	          "{\n\t\"user\" :{ \"email\":\"a@b.c\" ,\"n\": 1.50E+2, \"s\": \"\\u00e9\\/\\n\""
	          ", \"new\": 1.5 },\n  \"items\": [ 1 , [2], 3 ]\r\n}  ");
	check_str(L, "json.set('{\\n  \"a\": 1,\\n  \"b\": 2\\n}', 'c', 3)",
	          "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3\n}");
	check_str(L, "json.set('{\\n  \"a\": 1\\n}', 'c', 3)", "{\n  \"a\": 1,\n  \"c\": 3\n}");
	check_str(L, "json.set('{ }', 'k', 'v')", "{\"k\":\"v\" }");
	check_str(L, "json.set('{}', {'a.b'}, 1)", "{\"a.b\":1}");
	check_str(L, "json.set('{}', '1', 1)", "{\"1\":1}");
	check_str(L, "json.set('[1, 2]', '3', 3)", "[1, 2, 3]");
	check_str(L, "json.set('[]', {1}, 'x')", "[\"x\"]");
	check_str(L, "json.set(' 1 ', {}, 2)", " 2 ");
	check_str(L, "json.set('{\"a\":1,\"a\":2}', 'a', 3)", "{\"a\":1,\"a\":3}");
	check_str(L, "json.set('{\"k\\\\u00e9\":1}', 'k\\u{e9}', 2)", "{\"k\\u00e9\":2}");
	lt_run(L, "local t = json.set(T, 'items.3', 'x')\n"
	          "eq(json.get(t, 'items.3'), 'x')\n"
	          "eq(json.get(t, 'user.n'), 150.0)\n"
	          "fails('json.set: path element 1 (\"nope\") not found; only the last one may be "
	          "missing', json.set(T, 'nope.x', 1))\n"
	          "fails('json.set: path element 3 (\"x\") goes into a string, not an object or "
	          "array', json.set(T, 'user.email.x', 1))\n"
	          "fails('json.set: path element 2 ([5]) is past the end of an array of 3 (4 "
	          "appends)', json.set(T, {'items', 5}, 1))\n"
	          "fails('json.set: path element 2 (\"x\") is an object key, but it goes into an "
	          "array', json.set(T, 'items.x', 1))\n"
	          "fails('json.set: path element 2 ([1]) is an array index, but it goes into an "
	          "object', json.set(T, {'user', 1}, 1))\n"
	          "fails('json.set: cannot encode nil (json.null is JSON\\'s null)', "
	          "json.set(T, 'user.email', nil))\n"
	          "fails('json.set: cannot encode NaN (JSON has no NaN) at .x', "
	          "json.set(T, 'user.email', {x = 0/0}))\n"
	          "fails('json.set: cannot encode a string that is not UTF-8 (byte 0xFF at "
	          "offset 0)', json.set('{}', '\\xff', 1))\n");
}

static void test_remove(void **state) {
	lua_State *L = *state;

	check_str(L, "json.remove('{\"a\":1, \"b\":2, \"c\":3}', 'a')", "{\"b\":2, \"c\":3}");
	check_str(L, "json.remove('{\"a\":1, \"b\":2, \"c\":3}', 'b')", "{\"a\":1, \"c\":3}");
	check_str(L, "json.remove('{\"a\":1, \"b\":2, \"c\":3}', 'c')", "{\"a\":1, \"b\":2}");
	check_str(L, "json.remove('{ \"a\" : 1 }', 'a')", "{  }");
	check_str(L, "json.remove('{\\n  \"a\": 1,\\n  \"b\": 2\\n}', 'a')", "{\n  \"b\": 2\n}");
	check_str(L, "json.remove('{\\n  \"a\": 1,\\n  \"b\": 2\\n}', 'b')", "{\n  \"a\": 1\n}");
	check_str(L, "json.remove('{\"u\":{\"p\":\"x\",\"q\":[1,2,3]}}', 'u.q.2')",
	          "{\"u\":{\"p\":\"x\",\"q\":[1,3]}}");
	check_str(L, "json.remove('{\"u\":{\"p\":\"x\",\"q\":[1,2,3]}}', {'u', 'p'})",
	          "{\"u\":{\"q\":[1,2,3]}}");
	check_str(L, "json.remove('[1]', '1')", "[]");
	/* every copy of a duplicate key, so that get finds none */
	check_str(L, "json.remove('{\"a\":1,\"a\":2,\"b\":3,\"a\":4}', 'a')", "{\"b\":3}");
	check_str(L, "json.remove('{\"b\":0,\"a\":1,\"a\":2}', 'a')", "{\"b\":0}");
	check_str(L, "json.remove('{\"a\":1,\"a\":2}', 'a')", "{}");
	/* nothing there: the text as it was */
	check_str(L, "json.remove('{\"a\" :1}', 'b')", "{\"a\" :1}");
	check_str(L, "json.remove('{\"a\" :1}', 'a.b.c')", "{\"a\" :1}");
	lt_run(L, "raises('json.remove: the path is empty', json.remove, '{}', {})\n"
	          "fails('json.remove: unexpected end of input in an object at byte offset 6', "
	          "json.remove('{\"a\":1', 'a'))\n");
}

static void test_decode(void **state) {
	lua_State *L = *state;

	lt_run(L, "local v = json.decode('{\"i\":-12,\"f\":1.0,\"e\":1e2,\"z\":-0,\"big\":"
	          "12345678901234567890,\"t\":true,\"n\":null,\"s\":\"\",\"a\":[],\"o\":{}}')\n"
	          "eq(v.i, -12) eq(v.f, 1.0) eq(v.e, 100.0) eq(v.z, 0) eq(v.t, true)\n"
	          "eq(v.n, json.null) eq(v.s, '')\n"
	          "eq(v.big, 1.2345678901234567e19)\n"
	          "eq(json.decode('1e400'), math.huge)\n"
	          "eq(json.decode(' \\t\\r\\n\"x\"\\n'), 'x')\n"
	          "eq(getmetatable(v.a), 'kmirror.json.array')\n"
	          "eq(getmetatable(v.o), 'kmirror.json.object')\n"
	          "eq(json.encode(v.a) .. json.encode(v.o), '[]{}')\n"
	          "raises('protected metatable', setmetatable, v.a, {})\n"
	          "local d = json.decode('{\"a\":1,\"b\":2,\"a\":3}')\n"
	          "eq(d.a, 3) eq(json.encode(d), '{\"a\":3,\"b\":2}')\n");
	/* escapes: every short form, \u in the BMP, a surrogate pair (U+1F600),
	 * and a lone surrogate, kept as WTF-8 so that encode writes it back */
	set_global(L, "T",
	           "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20AC\\ud83d\\ude00\\u0000\"");
	lt_run(L, "eq(json.decode(T), '\"\\\\/\\b\\f\\n\\r\\tA\\u{e9}\\u{20ac}\\u{1f600}\\0')\n"
	          "eq(json.decode('\"\\\\ud800\"'), '\\xed\\xa0\\x80')\n"
	          "eq(json.decode('\"\\\\udc00x\"'), '\\xed\\xb0\\x80x')\n"
	          "eq(json.encode(json.decode('\"\\\\ud800\\\\u0041\"')), '\"\\\\ud800A\"')\n"
	          "eq(json.decode('\"\\u{e9}\\u{1f600}\"'), '\\u{e9}\\u{1f600}')\n");
	check_str(L, "json.encode(json.decode(T))",
	          "\"\\\"\\\\/\\b\\f\\n\\r\\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\u0000\"");
}

static void test_encode(void **state) {
	lua_State *L = *state;

	check_str(L, "json.encode({b = 1, a = {2, 3}, c = {}})", "{\"a\":[2,3],\"b\":1,\"c\":{}}");
	check_str(L, "json.encode({0.1, 1.0, -0.0, 1/3, 2^63, 1e300, 5e-324, 100})",
	          "[0.1,1.0,-0.0,0.3333333333333333,9.223372036854776e+18,1e+300,"
	          "4.9406564584125e-324,100]");
	check_str(L, "json.encode('\\0\\1\\31\\127\"\\\\/\\u{e9}\\u{10ffff}')",
	          "\"\\u0000\\u0001\\u001f\x7f\\\"\\\\/\xc3\xa9\xf4\x8f\xbf\xbf\"");
	check_str(L, "json.encode(json.null)", "null");
	check_str(L, "json.encode(json.array())", "[]");
	check_str(L, "json.encode(json.object{})", "{}");
	check_str(L, "json.encode(json.array{1, 'a', false})", "[1,\"a\",false]");
	check_str(L, "json.encode(json.object{x = 1})", "{\"x\":1}");
	lt_run(L, "for _, x in ipairs({0.1, 1/3, 2^-1074, 1e308, -123.456e-7, 2^53 + 1.0}) do\n"
	          "  local y = json.decode(json.encode(x))\n"
	          "  eq(y, x) eq(math.type(y), 'float')\n"
	          "end\n"
	          "local c = {} c.self = {c}\n"
	          "fails('json.encode: cannot encode a table that contains itself at .self[1]', "
	          "json.encode(c))\n"
	          "fails('json.encode: cannot encode NaN (JSON has no NaN)', json.encode(0/0))\n"
	          "fails('json.encode: cannot encode -inf (JSON has no infinity) at [2]', "
	          "json.encode({1, -math.huge}))\n"
	          "fails('json.encode: cannot encode an array with a hole at [2] (json.null is "
	          "JSON\\'s null)', json.encode({1, nil, 3}))\n"
	          "fails('json.encode: cannot encode a table with both string keys and array "
	          "indexes', json.encode({1, a = 2}))\n"
	          "fails('json.encode: cannot encode a table with a key of type boolean (JSON keys "
	          "are strings)', json.encode({[true] = 1}))\n"
	          "fails('json.encode: cannot encode a table with a key of type number (JSON keys "
	          "are strings)', json.encode({[1.5] = 1}))\n"
	          "fails('json.encode: cannot encode an array with a string key', "
	          "json.encode(json.array{a = 1}))\n"
	          "fails('json.encode: cannot encode an object with an integer key (JSON keys are "
	          "strings)', json.encode(json.object{1}))\n"
	          "fails('json.encode: cannot encode a function at .a.b', json.encode({a = {b = "
	          "print}}))\n"
	          "fails('json.encode: cannot encode nil (json.null is JSON\\'s null)', "
	          "json.encode(nil))\n"
	          "fails('json.encode: cannot encode a string that is not UTF-8 (byte 0xC0 at "
	          "offset 1)', json.encode('a\\xc0\\x80'))\n"
	          "fails('json.encode: cannot encode a string that is not UTF-8 (byte 0xED at "
	          "offset 0)', json.encode('\\xed\\x9f'))\n");
}

/* Each kind of invalid JSON: nil and what is wrong where (byte offsets
 * from 0). */
static void test_invalid(void **state) {
	static const struct {
		const char *text, *msg;
	} cases[] = {
	    {"", "empty text at byte offset 0"},
	    {" \n", "no value, only whitespace at byte offset 2"},
	    {"{", "unexpected end of input in an object at byte offset 1"},
	    {"[1,", "unexpected end of input at byte offset 3"},
	    {"[1 2]", "expected ',' or ']' after an array element ('2') at byte offset 3"},
	    {"{\"a\" 1}", "expected ':' after an object key ('1') at byte offset 5"},
	    {"{\"a\":1,}", "expected a string key ('}') at byte offset 7"},
	    {"{a:1}", "expected a string key ('a') at byte offset 1"},
	    {"[1,]", "unexpected character (']') at byte offset 3"},
	    {"{\"a\":1", "unexpected end of input in an object at byte offset 6"},
	    {"\"abc", "unterminated string at byte offset 0"},
	    {"\"a\\q\"", "invalid escape at byte offset 2"},
	    {"\"\\u12G4\"", "invalid \\u escape (4 hex digits expected) at byte offset 1"},
	    {"\"a\tb\"", "control character in a string (it must be escaped) (byte 0x09) at byte "
	                 "offset 2"},
	    {"\"\xc3\"", "invalid UTF-8 in a string (byte 0xC3) at byte offset 1"},
	    {"\"\xed\xa0\x80\"", "invalid UTF-8 in a string (byte 0xED) at byte offset 1"},
	    {"\"\xc0\xaf\"", "invalid UTF-8 in a string (byte 0xC0) at byte offset 1"},
	    {"\"\xf4\x90\x80\x80\"", "invalid UTF-8 in a string (byte 0xF4) at byte offset 1"},
	    {"01", "invalid number: leading zero at byte offset 0"},
	    {"-", "invalid number: a digit expected at byte offset 1"},
	    {"1.", "invalid number: a digit expected after '.' at byte offset 2"},
	    {"1e+", "invalid number: a digit expected in the exponent at byte offset 3"},
	    {".5", "unexpected character ('.') at byte offset 0"},
	    {"+1", "unexpected character ('+') at byte offset 0"},
	    {"NaN", "unexpected character ('N') at byte offset 0"},
	    {"tru", "invalid literal (true, false or null expected) at byte offset 0"},
	    {"nul1", "invalid literal (true, false or null expected) at byte offset 0"},
	    {"[1] [2]", "trailing characters after the JSON value ('[') at byte offset 4"},
	    {"\xef\xbb\xbf{}", "unexpected character (byte 0xEF) at byte offset 0"},
	    {"{}\x01", "trailing characters after the JSON value (byte 0x01) at byte offset 2"},
	};
	lua_State *L = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static const char *const fns[] = {"decode", "get", "set", "remove"};

		for (size_t f = 0; f < sizeof(fns) / sizeof(fns[0]); f++) {
			char want[256];

			lua_getglobal(L, "json");
			lua_getfield(L, -1, fns[f]);
			lua_pushstring(L, cases[i].text);
			if (f > 0)
				lua_pushliteral(L, "a");
			if (f == 2)
				lua_pushinteger(L, 1);
			if (lua_pcall(L, f == 0 ? 1 : f == 2 ? 3 : 2, 2, 0))
				fail_msg("json.%s(%s): %s", fns[f], cases[i].text,
				         lua_tostring(L, -1));
			snprintf(want, sizeof(want), "json.%s: %s", fns[f], cases[i].msg);
			if (!lua_isnil(L, -2) || !lua_tostring(L, -1))
				fail_msg("json.%s(%s) accepted it", fns[f], cases[i].text);
			assert_string_equal(lua_tostring(L, -1), want);
			lua_settop(L, 0);
		}
	}
	/* a NUL byte is a byte like any other: not JSON outside a string */
	lt_run(L, "fails('json.decode: unexpected character (byte 0x00) at byte offset 1', "
	          "json.decode('[\\0]'))\n"
	          "fails('json.decode: control character in a string (it must be escaped) (byte "
	          "0x00) at byte offset 1', json.decode('\"\\0\"'))\n");
}

/* 200 nested objects and arrays, and not one more, whatever the path. */
static void test_depth(void **state) {
	lua_State *L = *state;

	lt_run(L,
	       "local ok = string.rep('[', 200) .. string.rep(']', 200)\n"
	       "local deep = string.rep('[', 201) .. string.rep(']', 201)\n"
	       "eq(json.encode(json.decode(ok)), ok)\n"
	       "local msg = 'nesting deeper than 200 objects and arrays at byte offset 200'\n"
	       "fails('json.decode: ' .. msg, json.decode(deep))\n"
	       "fails('json.get: ' .. msg, json.get(deep, {1}))\n"
	       "local objs = string.rep('{\"a\":', 201) .. '1' .. string.rep('}', 201)\n"
	       "fails('json.decode: nesting deeper than 200 objects and arrays at byte offset "
	       "1000', json.decode(objs))\n"
	       "local t = {} local top = t\n"
	       "for i = 1, 200 do t[1] = {} t = t[1] end\n"
	       "local r, m = json.encode(top)\n"
	       "eq(r, nil)\n"
	       "assert(m:find('json.encode: nesting deeper than 200 objects and arrays at [1][1]', "
	       "1, true), m)\n"
	       "local t199 = {} t = t199\n"
	       "for i = 1, 198 do t[1] = {} t = t[1] end\n"
	       "t[1] = json.array()\n"
	       "eq(#json.encode(t199), 400)\n"
	       "local inner = string.rep('[', 199) .. string.rep(']', 199)\n"
	       "eq(json.set(inner, {}, {{}}), '[{}]')\n"
	       "local path = {} for i = 1, 199 do path[i] = 1 end\n"
	       "local one = string.rep('[', 199) .. '0' .. string.rep(']', 199)\n"
	       "eq(json.get(json.set(one, path, json.array()), path)[1], nil)\n"
	       "fails('json.set: nesting deeper than 200 objects and arrays at [1]', "
	       "json.set(one, path, {{}}))\n");
}

/* Encode and decode under an allocator that refuses past a cap: the error
 * is raised, the state stays usable, and valgrind sees no leak. */
typedef struct cap {
	size_t used, limit;
} cap_t;

static void *cap_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
	cap_t *cap = ud;
	size_t old = ptr ? osize : 0;

	if (nsize == 0) {
		free(ptr);
		cap->used -= old;
		return NULL;
	}
	if (nsize > old && cap->used + (nsize - old) > cap->limit)
		return NULL;
	ptr = realloc(ptr, nsize);
	if (ptr)
		cap->used += nsize - old;
	return ptr;
}

/* setcap(n): from now on, n more bytes at most; setcap(): no cap. */
static int setcap(lua_State *L) {
	cap_t *cap = lua_touserdata(L, lua_upvalueindex(1));

	cap->limit = lua_isnoneornil(L, 1) ? SIZE_MAX : cap->used + (size_t)luaL_checkinteger(L, 1);
	return 0;
}

static void test_memory_cap(void **state) {
	cap_t cap = {0, SIZE_MAX};
	lua_State *L = new_state(cap_alloc, &cap);

	(void)state;
	lua_pushlightuserdata(L, &cap);
	lua_pushcclosure(L, setcap, 1);
	lua_setglobal(L, "setcap");
	lt_run(L, "local text = '[' .. string.rep('\"' .. string.rep('y', 1000) .. '\",', 3000) .. "
	          "'0]'\n"
	          "local t = {}\n"
	          "for i = 1, 3 do t[i] = string.rep('x', 1 << 20) end\n"
	          "collectgarbage()\n"
	          "setcap(512 * 1024)\n"
	          "local ok, msg = pcall(json.encode, t)\n"
	          "eq(ok, false)\n"
	          "ok, msg = pcall(json.decode, text)\n"
	          "eq(ok, false)\n"
	          "setcap()\n"
	          "eq(json.encode({1, 2}), '[1,2]')\n"
	          "eq(#json.encode(t), 3 * (1 << 20) + 3 * 3 - 1 + 2)\n");
	lua_close(L);
	assert_int_equal(cap.used, 0);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_cjson_cases, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_get, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_encode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_depth, setup, teardown),
	    cmocka_unit_test(test_memory_cap),
	};

	return cmocka_run_group_tests_name("lua_json", tests, NULL, NULL);
}
