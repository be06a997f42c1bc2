/* What a script can reach (Redis's sandbox): base, string, table, math and
 * utf8, os.time and os.clock, the kmirror table and the helper modules.
 * No io, no os beyond those two, no debug, no coroutine, no string.dump,
 * load of text only, require of the helpers only, collectgarbage("count")
 * only. The standard tables are read-only proxies; a script's globals go
 * into its own environment table. */
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "json.h"
#include "lua_embed.h"
#include "lua_stage.h"

#define KM_RO_MT "kmirror.readonly"

/* The C helper modules. */
const km_lua_embed_t km_lua_cmods[] = {
    {"kmirror.json", NULL, 0, km_lua_json_open},
    {NULL, NULL, 0, NULL},
};

static int ro_newindex(lua_State *L) {
	return luaL_error(L, "the standard library and the kmirror table are read-only: "
	                     "keep your own values in your own tables");
}

/* __pairs of a proxy: the real table's pairs. */
static int ro_pairs(lua_State *L) {
	lua_getglobal(L, "next");
	lua_getmetatable(L, 1);
	lua_pushliteral(L, "__index");
	lua_rawget(L, -2);
	lua_remove(L, -2);
	lua_pushnil(L);
	return 3;
}

/* Replaces the table on top of the stack with a read-only proxy of it. */
static void make_readonly(lua_State *L) {
	lua_newtable(L); /* the proxy */
	lua_createtable(L, 0, 5);
	lua_pushvalue(L, -3);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, ro_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, ro_pairs);
	lua_setfield(L, -2, "__pairs");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	/* marks it a proxy, for rawset */
	lua_pushboolean(L, 1);
	lua_setfield(L, -2, KM_RO_MT);
	lua_setmetatable(L, -2);
	lua_remove(L, -2);
}

static int is_readonly(lua_State *L, int idx) {
	int ro;

	if (!lua_getmetatable(L, idx))
		return 0;
	lua_pushliteral(L, KM_RO_MT);
	lua_rawget(L, -2);
	ro = lua_toboolean(L, -1);
	lua_pop(L, 2);
	return ro;
}

static int safe_rawset(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTABLE);
	if (is_readonly(L, 1))
		return ro_newindex(L);
	luaL_checkany(L, 2);
	luaL_checkany(L, 3);
	lua_settop(L, 3);
	lua_rawset(L, 1);
	return 1;
}

static int safe_collectgarbage(lua_State *L) {
	const char *opt = luaL_optstring(L, 1, "collect");

	if (strcmp(opt, "count"))
		return luaL_error(L, "collectgarbage: only \"count\" is allowed in the Lua stage "
		                     "(the stage runs the collector itself)");
	lua_pushnumber(L, (lua_Number)lua_gc(L, LUA_GCCOUNT) +
	                      (lua_Number)lua_gc(L, LUA_GCCOUNTB) / 1024.0);
	return 1;
}

/* load(chunk [, name [, mode [, env]]]): text only, in the script's
 * environment unless another is given. */
static int safe_load(lua_State *L) {
	int env = !lua_isnone(L, 4);
	int rc;

	if (!lua_isnoneornil(L, 3) && strcmp(luaL_checkstring(L, 3), "t"))
		return luaL_error(L, "load: only text chunks (mode \"t\") are allowed in the Lua "
		                     "stage");
	if (lua_type(L, 1) == LUA_TSTRING) {
		size_t n;
		const char *s = lua_tolstring(L, 1, &n);
		rc = luaL_loadbufferx(L, s, n, luaL_optstring(L, 2, s), "t");
	} else {
		return luaL_error(L, "load: give the chunk as a string");
	}
	if (rc != LUA_OK) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	if (env)
		lua_pushvalue(L, 4);
	else
		lua_rawgeti(L, LUA_REGISTRYINDEX, km_lua_of(L)->ref_env);
	if (!lua_setupvalue(L, -2, 1))
		lua_pop(L, 1);
	return 1;
}

static int safe_print(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	luaL_Buffer b;
	int n = lua_gettop(L);

	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	k->host->log(k->ctx, KM_LOG_INFO, "%s", lua_tostring(L, -1));
	return 0;
}

/* ---- the kmirror table -------------------------------------------------- */

static int km_murmur2(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);

	lua_pushinteger(L, k->host->murmur2(s, n));
	return 1;
}

/* kmirror.partition(key, topic or count): Kafka's default partitioner;
 * nil, why when the count is not known. */
static int km_partition(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	size_t n;
	const char *key = luaL_checklstring(L, 1, &n);
	int32_t cnt;

	if (lua_isinteger(L, 2)) {
		lua_Integer c = lua_tointeger(L, 2);
		cnt = c > 0 && c <= INT32_MAX ? (int32_t)c : 0;
	} else {
		cnt = k->host->target_partitions(k->ctx, luaL_checkstring(L, 2));
	}
	if (cnt <= 0) {
		lua_pushnil(L);
		lua_pushstring(L, cnt == 0 ? "no such topic on the target (yet)"
		                           : "the partition count is not known yet");
		return 2;
	}
	lua_pushinteger(L, k->host->murmur2_partition(key, n, cnt));
	return 1;
}

static int km_partitions(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	int32_t cnt = k->host->target_partitions(k->ctx, luaL_checkstring(L, 1));

	if (cnt > 0)
		lua_pushinteger(L, cnt);
	else
		lua_pushnil(L);
	return 1;
}

static int km_log(lua_State *L) {
	static const char *const levels[] = {"error", "warning", "notice", "info", "debug", NULL};
	static const km_log_level_t lv[] = {KM_LOG_ERR, KM_LOG_WARNING, KM_LOG_NOTICE, KM_LOG_INFO,
	                                    KM_LOG_DEBUG};
	km_lua_t *k = km_lua_of(L);
	int i = luaL_checkoption(L, 1, NULL, levels);

	k->host->log(k->ctx, lv[i], "%s", luaL_checkstring(L, 2));
	return 0;
}

static void open_kmirror(lua_State *L, km_lua_t *k) {
	static const luaL_Reg fns[] = {{"murmur2", km_murmur2},
	                               {"partition", km_partition},
	                               {"partitions", km_partitions},
	                               {"log", km_log},
	                               {NULL, NULL}};

	luaL_newlib(L, fns);
	lua_pushstring(L, k->host->flow_source(k->ctx));
	lua_setfield(L, -2, "source");
	lua_pushstring(L, k->host->flow_target(k->ctx));
	lua_setfield(L, -2, "target");
	lua_pushstring(L, k->host->instance_name(k->ctx));
	lua_setfield(L, -2, "instance");
	make_readonly(L);
}

/* ---- require ------------------------------------------------------------ */

static void add_names(luaL_Buffer *b, const km_lua_embed_t *m) {
	for (; m->name; m++) {
		luaL_addchar(b, ' ');
		luaL_addstring(b, m->name);
	}
}

int km_lua_require(lua_State *L) {
	const char *name = luaL_checkstring(L, 1);
	const km_lua_embed_t *m;

	lua_getfield(L, LUA_REGISTRYINDEX, "kmirror.loaded");
	if (lua_getfield(L, -1, name) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	for (m = km_lua_cmods; m->name && strcmp(m->name, name); m++)
		;
	if (!m->name)
		for (m = km_lua_libs; m->name && strcmp(m->name, name); m++)
			;
	if (!m->name) {
		luaL_Buffer b;
		luaL_buffinit(L, &b);
		lua_pushfstring(L,
		                "require: module '%s' is not available in the Lua stage; the "
		                "modules are:",
		                name);
		luaL_addvalue(&b);
		add_names(&b, km_lua_cmods);
		add_names(&b, km_lua_libs);
		luaL_pushresult(&b);
		return lua_error(L);
	}
	if (m->open) {
		lua_pushcfunction(L, m->open);
		lua_call(L, 0, 1);
	} else {
		char chunk[128];
		snprintf(chunk, sizeof(chunk), "=%s", m->name);
		if (luaL_loadbufferx(L, m->text, m->len, chunk, "t") != LUA_OK)
			return lua_error(L);
		/* a helper runs in an environment of its own over the safe globals */
		lua_newtable(L);
		lua_createtable(L, 0, 1);
		lua_getfield(L, LUA_REGISTRYINDEX, "kmirror.safe");
		lua_setfield(L, -2, "__index");
		lua_setmetatable(L, -2);
		lua_setupvalue(L, -2, 1);
		lua_call(L, 0, 1);
	}
	if (lua_type(L, -1) == LUA_TTABLE)
		make_readonly(L);
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, name);
	return 1;
}

/* ---- the environment ---------------------------------------------------- */

/* Copies base function @p name from the global table into the table on top. */
static void copy_global(lua_State *L, const char *name) {
	lua_getglobal(L, name);
	lua_setfield(L, -2, name);
}

int km_lua_sandbox_open(km_lua_t *k) {
	static const char *const base[] = {
	    "assert",   "error",    "getmetatable", "ipairs", "next",     "pairs",
	    "pcall",    "rawequal", "rawget",       "rawlen", "select",   "setmetatable",
	    "tonumber", "tostring", "type",         "xpcall", "_VERSION", NULL};
	/* the base functions the stage replaces, and emit */
	static const luaL_Reg safe[] = {{"rawset", safe_rawset},
	                                {"collectgarbage", safe_collectgarbage},
	                                {"load", safe_load},
	                                {"print", safe_print},
	                                {"require", km_lua_require},
	                                {"emit", km_lua_emit},
	                                {NULL, NULL}};
	static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},
	                                {LUA_STRLIBNAME, luaopen_string},
	                                {LUA_TABLIBNAME, luaopen_table},
	                                {LUA_MATHLIBNAME, luaopen_math},
	                                {LUA_UTF8LIBNAME, luaopen_utf8},
	                                {LUA_OSLIBNAME, luaopen_os},
	                                {NULL, NULL}};
	lua_State *L = k->L;

	for (const luaL_Reg *l = libs; l->name; l++) {
		luaL_requiref(L, l->name, l->func, 1);
		lua_pop(L, 1);
	}
	/* no bytecode out, so none to load back in */
	lua_getglobal(L, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);
	/* getmetatable("") must not hand out the strings' metatable */
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);

	/* the safe globals, read-only */
	lua_newtable(L);
	for (const char *const *b = base; *b; b++)
		copy_global(L, *b);
	luaL_setfuncs(L, safe, 0);
	for (const luaL_Reg *l = libs + 1; l->name; l++) {
		if (!strcmp(l->name, LUA_OSLIBNAME)) {
			lua_createtable(L, 0, 2);
			lua_getglobal(L, LUA_OSLIBNAME);
			lua_getfield(L, -1, "time");
			lua_setfield(L, -3, "time");
			lua_getfield(L, -1, "clock");
			lua_setfield(L, -3, "clock");
			lua_pop(L, 1);
		} else {
			lua_getglobal(L, l->name);
		}
		make_readonly(L);
		lua_setfield(L, -2, l->name);
	}
	open_kmirror(L, k);
	lua_setfield(L, -2, "kmirror");
	make_readonly(L);
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, "kmirror.safe");

	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, "kmirror.loaded");

	/* the script's own globals, reading the safe ones through */
	lua_newtable(L);
	lua_createtable(L, 0, 2);
	lua_pushvalue(L, -3);
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_remove(L, -2);
	lua_pushvalue(L, -1);
	lua_setfield(L, -2, "_G");
	lua_pushvalue(L, -1);
	k->ref_env = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}
