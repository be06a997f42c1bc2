/* libFuzzer target for kmirror.json (lua/json.c), included whole so that
 * the scanner's offsets can be checked against what set writes.
 *
 * An input is one selector byte, then the text. For any text: decode and
 * get never raise, and a refusal says where. For JSON:
 * - encode(decode(x)) decodes to an equal value and encodes to the same
 *   bytes again (refused only for a number beyond a double: inf);
 * - a path picked with the selector (an existing value, or a new last key
 *   or index): get finds what decode found there;
 * - set at that path: get finds the value set, and every byte outside the
 *   value replaced (or, for a new member, outside the insertion) is
 *   unchanged;
 * - remove at that path: the text decodes to the old value without it.
 * Any difference aborts, which libFuzzer reports as a crash. */
#include "json.c"

#include <lualib.h>

#define FUZZ_MAX_PATH 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rng_next(uint32_t *r) {
	*r = *r * 1103515245u + 12345u;
	return *r >> 16;
}

/* Calls json[fn] with the @p nargs values on top; leaves 2 results. */
static void call(lua_State *L, const char *fn, int nargs) {
	lua_getfield(L, 1, fn);
	lua_insert(L, -nargs - 1);
	if (lua_pcall(L, nargs, 2, 0) != LUA_OK)
		abort(); /* data never raises */
}

static int deep_equal(lua_State *L, int a, int b) {
	lua_Integer na = 0, nb = 0;

	a = lua_absindex(L, a);
	b = lua_absindex(L, b);
	if (lua_type(L, a) != lua_type(L, b))
		return 0;
	if (lua_type(L, a) == LUA_TNUMBER)
		return lua_isinteger(L, a) == lua_isinteger(L, b) && lua_rawequal(L, a, b);
	if (lua_type(L, a) != LUA_TTABLE)
		return lua_rawequal(L, a, b);
	luaL_checkstack(L, 8, "deep_equal");
	lua_pushnil(L);
	while (lua_next(L, a)) {
		int eq;

		na++;
		lua_pushvalue(L, -2);
		lua_rawget(L, b);
		eq = deep_equal(L, -1, -2);
		lua_pop(L, 2);
		if (!eq) {
			lua_pop(L, 1);
			return 0;
		}
	}
	lua_pushnil(L);
	while (lua_next(L, b)) {
		nb++;
		lua_pop(L, 1);
	}
	return na == nb;
}

/* Picks a path in the decoded value at @p v: pushes the path table, the
 * parent (or nil) and the value there (nil for a new member); fills
 * @p comps for the scanner. Returns the path's length. */
static int pick_path(lua_State *L, int v, uint32_t *r, jcomp_t *comps) {
	int n = 0, path;

	lua_newtable(L);
	path = lua_gettop(L);
	lua_pushnil(L);      /* parent */
	lua_pushvalue(L, v); /* the value there */
	while (n < FUZZ_MAX_PATH && lua_type(L, -1) == LUA_TTABLE) {
		int cur = lua_gettop(L), object, mt;
		lua_Integer count;
		uint32_t pick;

		lua_getmetatable(L, cur);
		mt = lua_gettop(L);
		lua_getfield(L, mt, "__name");
		object = strcmp(lua_tostring(L, -1), JSON_OBJECT_MT) == 0;
		lua_pop(L, 1);
		count = object ? (lua_Integer)lua_rawlen(L, mt) : (lua_Integer)lua_rawlen(L, cur);
		pick = rng_next(r) % 4 == 0 ? 0 : rng_next(r) % (uint32_t)(count + 2);
		if (pick == 0) { /* stop here */
			lua_pop(L, 1);
			break;
		}
		comps[n].jc_key = NULL;
		comps[n].jc_keylen = 0;
		comps[n].jc_index = 0;
		if (pick <= count) {
			if (object)
				lua_rawgeti(L, mt, pick);
			else
				lua_pushinteger(L, pick);
		} else if (object) {
			lua_pushliteral(L, "new/\xc3\xa9");
		} else {
			lua_pushinteger(L, count + 1);
		}
		if (object)
			comps[n].jc_key = lua_tolstring(L, -1, &comps[n].jc_keylen);
		else
			comps[n].jc_index = lua_tointeger(L, -1);
		lua_pushvalue(L, -1);
		lua_rawseti(L, path, ++n);
		/* stack: ..., parent, cur, mt, key -> ..., cur, key, cur[key] */
		lua_remove(L, mt);
		lua_pushvalue(L, -1);
		lua_rawget(L, cur);
		lua_remove(L, -2);
		lua_remove(L, cur - 1);
		if (pick > count)
			break; /* a new member: nothing below */
	}
	return n;
}

/* The values set: one of them, by the selector. */
static const char values_chunk[] =
    "local json = ...\n"
    "return {'x/y\\u{e9}\\0', 1234567890123456789, 0.1, json.null, true,\n"
    "        {a = json.array{1, 2.5}, b = {}}, -0.0, -9223372036854775807 - 1, '', {{{}}}}\n";

static void check_valid(lua_State *L, const char *text, size_t len, uint8_t sel) {
	uint32_t r = sel * 2654435761u + (uint32_t)len;
	jcomp_t comps[FUZZ_MAX_PATH];
	int v, n, path, value, got;
	jscan_t s;

	v = lua_gettop(L);
	/* encode(decode(x)): the same value, and a fixed point */
	lua_pushvalue(L, v);
	call(L, "encode", 1);
	if (lua_isnil(L, -2)) {
		if (!strstr(lua_tostring(L, -1), "inf (JSON has no infinity)"))
			abort();
	} else {
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		call(L, "decode", 1);
		lua_pop(L, 1);
		if (!deep_equal(L, -1, v))
			abort();
		call(L, "encode", 1);
		lua_pop(L, 1);
		if (!lua_rawequal(L, -1, -2))
			abort();
	}
	lua_settop(L, v);

	n = pick_path(L, v, &r, comps);
	path = v + 1;
	got = lua_gettop(L); /* what decode has there, nil if new */
	lua_pushlstring(L, text, len);
	lua_pushvalue(L, path);
	call(L, "get", 2);
	lua_pop(L, 1);
	if (!deep_equal(L, -1, got))
		abort();
	lua_pop(L, 1);

	/* set */
	if (luaL_loadstring(L, values_chunk) != LUA_OK)
		abort();
	lua_pushvalue(L, 1);
	lua_call(L, 1, 1);
	lua_rawgeti(L, -1, sel % 10 + 1);
	lua_remove(L, -2);
	value = lua_gettop(L);
	lua_pushlstring(L, text, len);
	lua_pushvalue(L, path);
	lua_pushvalue(L, value);
	call(L, "set", 3);
	if (lua_isnil(L, -2)) {
		/* a table too deep for where it goes */
		if (!strstr(lua_tostring(L, -1), "nesting deeper than 200"))
			abort();
	} else {
		size_t nlen, from, to;
		const char *ntext;

		lua_pop(L, 1);
		ntext = lua_tolstring(L, -1, &nlen);
		if (scan_doc(&s, L, text, len, comps, n, NULL))
			abort();
		if (s.s_found) {
			from = s.s_vstart;
			to = s.s_vend;
		} else {
			if (!s.s_pfound)
				abort();
			from = to = s.s_pcount ? s.s_last_vend : s.s_popen + 1;
		}
		if (nlen < from + (len - to) || memcmp(ntext, text, from) != 0 ||
		    memcmp(ntext + nlen - (len - to), text + to, len - to) != 0)
			abort();
		lua_pushvalue(L, path);
		call(L, "get", 2);
		lua_pop(L, 1);
		if (!deep_equal(L, -1, value))
			abort();
	}
	lua_settop(L, value - 1);

	/* remove: the old value without that member */
	if (n == 0)
		return;
	lua_pushlstring(L, text, len);
	lua_pushvalue(L, path);
	call(L, "remove", 2);
	lua_pop(L, 1);
	call(L, "decode", 1);
	if (lua_isnil(L, -2))
		abort();
	lua_pop(L, 1);
	/* the parent in the old value, then the member out of it */
	lua_pushvalue(L, v);
	for (int i = 1; i < n; i++) {
		lua_rawgeti(L, path, i);
		lua_rawget(L, -2);
		lua_remove(L, -2);
	}
	if (lua_type(L, -1) == LUA_TTABLE) {
		int parent = lua_gettop(L);

		lua_rawgeti(L, path, n);
		if (comps[n - 1].jc_key) {
			lua_pushnil(L);
			lua_rawset(L, parent);
		} else {
			lua_Integer i = lua_tointeger(L, -1),
			            last = (lua_Integer)lua_rawlen(L, parent);

			lua_pop(L, 1);
			for (; i >= 1 && i <= last; i++) {
				lua_rawgeti(L, parent, i + 1);
				lua_rawseti(L, parent, i);
			}
		}
	}
	lua_pop(L, 1);
	if (!deep_equal(L, -1, v))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	lua_State *L;
	const char *text = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;

	if (size == 0)
		return 0;
	if (!(L = luaL_newstate()))
		abort();
	luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
	lua_pop(L, 1);
	km_lua_json_open(L); /* index 1 */
	lua_pushlstring(L, text, len);
	call(L, "decode", 1);
	if (lua_isnil(L, -2)) {
		/* refused: with an offset, and get refuses it the same way */
		const char *msg = lua_tostring(L, -1);

		if (!msg || strncmp(msg, "json.decode: ", 13) != 0 ||
		    !strstr(msg, " at byte offset "))
			abort();
		lua_pushlstring(L, text, len);
		lua_newtable(L);
		call(L, "get", 2);
		if (!lua_isnil(L, -2) || strcmp(lua_tostring(L, -1) + 10, msg + 13) != 0)
			abort();
	} else {
		lua_pop(L, 1);
		check_valid(L, text, len, data[0]);
	}
	lua_close(L);
	return 0;
}
