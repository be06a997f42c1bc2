/* Records and batches as scripts see them.
 *
 * A record is a light userdata whose value is a handle, (call << 24) |
 * index, not a pointer: no allocation per record, and a record kept past
 * its call is told apart from the records of later calls ("used outside
 * its call") instead of aliasing them. Fields are read lazily: a key or
 * value the script does not read is never copied into Lua. What a script
 * writes is copied into the batch's arena, which lives until the batch is
 * produced. */
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "lua_stage.h"

#define KM_IDX_BITS 24
#define KM_IDX_MASK ((UINT64_C(1) << KM_IDX_BITS) - 1)

/* The record a handle names, or an error. */
static km_record_t *rec_check(lua_State *L, int arg, km_lua_t *k, size_t *idxp) {
	uint64_t h = (uint64_t)(uintptr_t)lua_touserdata(L, arg);
	size_t idx = (size_t)(h & KM_IDX_MASK);

	if (lua_type(L, arg) != LUA_TLIGHTUSERDATA)
		luaL_error(L, "a record is needed here, not %s", luaL_typename(L, arg));
	if (!h) /* the one other light userdata a script sees */
		luaL_error(L, "json.null is not a record");
	if (!k->batch || (h >> KM_IDX_BITS) != (k->gen & (UINTPTR_MAX >> KM_IDX_BITS)) ||
	    idx >= k->batch->cnt)
		luaL_error(L, "a record was used outside the call that gave it (records live "
		              "only during process, process_record or on_tick)");
	if (idxp)
		*idxp = idx;
	return km_batch_record(k->batch, idx);
}

void km_lua_push_record(lua_State *L, km_lua_t *k, size_t idx) {
	uint64_t h = ((k->gen & (UINTPTR_MAX >> KM_IDX_BITS)) << KM_IDX_BITS) | idx;
	lua_pushlightuserdata(L, (void *)(uintptr_t)h);
}

static void push_bytes(lua_State *L, const void *p, size_t len) {
	if (p)
		lua_pushlstring(L, p, len);
	else
		lua_pushnil(L);
}

/* A copy of @p len bytes in the batch's arena (NUL-terminated). */
static char *arena_copy(lua_State *L, km_lua_t *k, const char *s, size_t len) {
	char *p = k->host->arena_alloc(k->batch, len + 1);

	if (!p)
		luaL_error(L, "the flow's memory bound for a batch is reached");
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Bytes for key or value: a string (or a number, as text), or nil/false
 * for null. */
static void set_bytes(lua_State *L, km_lua_t *k, int arg, const char *what, const void **p,
                      size_t *len) {
	size_t n;
	const char *s;

	if (lua_isnoneornil(L, arg) ||
	    (lua_type(L, arg) == LUA_TBOOLEAN && !lua_toboolean(L, arg))) {
		*p = NULL;
		*len = 0;
		return;
	}
	if (lua_type(L, arg) != LUA_TSTRING && lua_type(L, arg) != LUA_TNUMBER)
		luaL_error(L, "%s must be a string, or nil for null, not %s", what,
		           luaL_typename(L, arg));
	s = lua_tolstring(L, arg, &n);
	*p = arena_copy(L, k, s, n);
	*len = n;
}

static int valid_topic(const char *s, size_t n) {
	if (n == 0 || n > 249 || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static void set_topic(lua_State *L, km_lua_t *k, km_record_t *r, int arg) {
	size_t n;
	const char *s;

	if (lua_type(L, arg) != LUA_TSTRING)
		luaL_error(L, "topic must be a string, not %s", luaL_typename(L, arg));
	s = lua_tolstring(L, arg, &n);
	if (!valid_topic(s, n))
		luaL_error(L,
		           "'%s' is not a valid topic name: use 1 to 249 letters, digits, '.', "
		           "'_' or '-'",
		           s);
	r->topic = arena_copy(L, k, s, n);
}

static void set_partition(lua_State *L, km_lua_t *k, km_record_t *r, int arg) {
	lua_Integer p = -1;
	int32_t cnt;

	if (lua_isnil(L, arg)) {
		r->partition = r->source_partition; /* -1 with no source: the producer picks */
		return;
	}
	if (lua_isinteger(L, arg))
		p = lua_tointeger(L, arg);
	if (p < 0 || p > INT32_MAX)
		luaL_error(L, "partition must be a partition number (0 or more), or nil for the "
		              "source's");
	if (r->topic && (cnt = k->host->target_partitions(k->ctx, r->topic)) > 0 && p >= cnt)
		luaL_error(L,
		           "topic '%s' has %d partitions on the target: partition %d does not "
		           "exist",
		           r->topic, (int)cnt, (int)p);
	r->partition = (int32_t)p;
}

static void set_timestamp(lua_State *L, km_record_t *r, int arg) {
	if (lua_isnil(L, arg)) {
		r->timestamp = -1; /* the target sets it */
		return;
	}
	if (!lua_isinteger(L, arg) || lua_tointeger(L, arg) < 0)
		luaL_error(L, "timestamp must be milliseconds since the epoch (0 or more), or nil "
		              "for the target's time");
	r->timestamp = (int64_t)lua_tointeger(L, arg);
}

/* ---- headers ------------------------------------------------------------ */

static int rec_header(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	km_record_t *r = rec_check(L, 1, k, NULL);
	const char *name = luaL_checkstring(L, 2);

	for (size_t i = 0; i < r->header_cnt; i++)
		if (!strcmp(r->headers[i].name, name)) {
			push_bytes(L, r->headers[i].value, r->headers[i].value_len);
			return 1;
		}
	lua_pushnil(L);
	return 1;
}

static int rec_headers(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	km_record_t *r = rec_check(L, 1, k, NULL);

	lua_createtable(L, (int)r->header_cnt, 0);
	for (size_t i = 0; i < r->header_cnt; i++) {
		lua_createtable(L, 2, 0);
		lua_pushstring(L, r->headers[i].name);
		lua_rawseti(L, -2, 1);
		if (r->headers[i].value) {
			lua_pushlstring(L, r->headers[i].value, r->headers[i].value_len);
			lua_rawseti(L, -2, 2);
		}
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* A header from (name at @p at, value at @p at + 1) into @p h. */
static void header_make(lua_State *L, km_lua_t *k, int at, km_header_t *h) {
	size_t n;
	const char *name = luaL_checklstring(L, at, &n);

	h->name = arena_copy(L, k, name, n);
	set_bytes(L, k, at + 1, "a header's value", &h->value, &h->value_len);
}

/* The record's headers as a new arena array of @p cnt + @p extra entries,
 * keeping those for which @p keep is not @p name (all when @p name is NULL). */
static km_header_t *headers_copy(lua_State *L, km_lua_t *k, km_record_t *r, const char *drop,
                                 size_t extra, size_t *cnt) {
	km_header_t *h = k->host->arena_alloc(k->batch, (r->header_cnt + extra) * sizeof(*h) + 1);
	size_t n = 0;

	if (!h)
		luaL_error(L, "the flow's memory bound for a batch is reached");
	for (size_t i = 0; i < r->header_cnt; i++)
		if (!drop || strcmp(r->headers[i].name, drop))
			h[n++] = r->headers[i];
	*cnt = n;
	return h;
}

static int rec_add_header(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	km_record_t *r = rec_check(L, 1, k, NULL);
	size_t n;
	km_header_t *h = headers_copy(L, k, r, NULL, 1, &n);

	header_make(L, k, 2, &h[n]);
	r->headers = h;
	r->header_cnt = n + 1;
	return 0;
}

/* The first header of that name takes the value, later ones go; appended
 * when there is none. */
static int rec_set_header(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	km_record_t *r = rec_check(L, 1, k, NULL);
	const char *name = luaL_checkstring(L, 2);
	km_header_t *h = k->host->arena_alloc(k->batch, (r->header_cnt + 1) * sizeof(*h));
	size_t n = 0;
	int done = 0;

	if (!h)
		return luaL_error(L, "the flow's memory bound for a batch is reached");
	for (size_t i = 0; i < r->header_cnt; i++) {
		if (strcmp(r->headers[i].name, name)) {
			h[n++] = r->headers[i];
		} else if (!done) {
			header_make(L, k, 2, &h[n++]);
			done = 1;
		}
	}
	if (!done)
		header_make(L, k, 2, &h[n++]);
	r->headers = h;
	r->header_cnt = n;
	return 0;
}

static int rec_remove_header(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	km_record_t *r = rec_check(L, 1, k, NULL);
	const char *name = luaL_checkstring(L, 2);
	size_t n, before = r->header_cnt;

	r->headers = headers_copy(L, k, r, name, 0, &n);
	r->header_cnt = n;
	lua_pushinteger(L, (lua_Integer)(before - n));
	return 1;
}

static int rec_drop(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	km_record_t *r = rec_check(L, 1, k, NULL);

	if (!(r->flags & KM_RECORD_F_DROP))
		k->n_dropped++;
	r->flags |= KM_RECORD_F_DROP;
	return 0;
}

/* r:fail(msg): this record alone failed; on_error applies to it. */
static int rec_fail(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	km_record_t *r = rec_check(L, 1, k, NULL);
	const char *msg = luaL_optstring(L, 2, "failed by the script");
	char *e;
	size_t n;

	km_lua_where(L, 1);
	lua_pushstring(L, msg);
	lua_concat(L, 2);
	e = (char *)lua_tolstring(L, -1, &n);
	r->error = arena_copy(L, k, e, n);
	r->flags |= KM_RECORD_F_ERROR;
	k->n_errors++;
	return 0;
}

/* ---- fields ------------------------------------------------------------- */

static const char *const rec_fields =
    "key, value, timestamp, topic, partition, source_topic, source_partition, "
    "source_offset, source_cluster; methods header, headers, set_header, add_header, "
    "remove_header, drop, fail";

static int rec_index(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	km_record_t *r = rec_check(L, 1, k, NULL);
	const char *f = luaL_checkstring(L, 2);

	switch (f[0]) {
	case 'k':
		if (!strcmp(f, "key"))
			return push_bytes(L, r->key, r->key_len), 1;
		break;
	case 'v':
		if (!strcmp(f, "value"))
			return push_bytes(L, r->value, r->value_len), 1;
		break;
	case 't':
		if (!strcmp(f, "timestamp")) {
			if (r->timestamp < 0)
				lua_pushnil(L);
			else
				lua_pushinteger(L, r->timestamp);
			return 1;
		}
		if (!strcmp(f, "topic"))
			return lua_pushstring(L, r->topic), 1;
		break;
	case 'p':
		if (!strcmp(f, "partition")) {
			if (r->partition < 0)
				lua_pushnil(L);
			else
				lua_pushinteger(L, r->partition);
			return 1;
		}
		break;
	case 's':
		if (!strcmp(f, "source_topic"))
			return lua_pushstring(L, r->source_topic), 1;
		if (!strcmp(f, "source_partition")) {
			if (r->source_partition < 0)
				lua_pushnil(L);
			else
				lua_pushinteger(L, r->source_partition);
			return 1;
		}
		if (!strcmp(f, "source_offset")) {
			if (r->source_offset < 0)
				lua_pushnil(L);
			else
				lua_pushinteger(L, r->source_offset);
			return 1;
		}
		if (!strcmp(f, "source_cluster"))
			return lua_pushstring(L, r->source_topic ? k->host->flow_source(k->ctx)
			                                         : NULL),
			       1;
		if (!strcmp(f, "set_header"))
			return lua_pushcfunction(L, rec_set_header), 1;
		break;
	case 'h':
		if (!strcmp(f, "header"))
			return lua_pushcfunction(L, rec_header), 1;
		if (!strcmp(f, "headers"))
			return lua_pushcfunction(L, rec_headers), 1;
		break;
	case 'a':
		if (!strcmp(f, "add_header"))
			return lua_pushcfunction(L, rec_add_header), 1;
		break;
	case 'r':
		if (!strcmp(f, "remove_header"))
			return lua_pushcfunction(L, rec_remove_header), 1;
		break;
	case 'd':
		if (!strcmp(f, "drop"))
			return lua_pushcfunction(L, rec_drop), 1;
		break;
	case 'f':
		if (!strcmp(f, "fail"))
			return lua_pushcfunction(L, rec_fail), 1;
		break;
	}
	return luaL_error(L, "a record has no field '%s'; it has %s", f, rec_fields);
}

static int rec_newindex(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	km_record_t *r = rec_check(L, 1, k, NULL);
	const char *f = luaL_checkstring(L, 2);

	if (!strcmp(f, "key"))
		set_bytes(L, k, 3, "key", &r->key, &r->key_len);
	else if (!strcmp(f, "value"))
		set_bytes(L, k, 3, "value", &r->value, &r->value_len);
	else if (!strcmp(f, "timestamp"))
		set_timestamp(L, r, 3);
	else if (!strcmp(f, "topic"))
		set_topic(L, k, r, 3);
	else if (!strcmp(f, "partition"))
		set_partition(L, k, r, 3);
	else if (!strncmp(f, "source_", 7) &&
	         (!strcmp(f + 7, "topic") || !strcmp(f + 7, "partition") ||
	          !strcmp(f + 7, "offset") || !strcmp(f + 7, "cluster")))
		return luaL_error(L, "field '%s' of a record is read-only", f);
	else
		return luaL_error(L,
		                  "a record has no field '%s'; the fields a script sets are key, "
		                  "value, timestamp, topic and partition",
		                  f);
	return 0;
}

static int rec_tostring(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	km_record_t *r;

	if (!lua_touserdata(L, 1)) {
		lua_pushliteral(L, "json.null");
		return 1;
	}
	r = rec_check(L, 1, k, NULL);

	if (r->source_topic)
		lua_pushfstring(L, "record %s[%d]@%I", r->source_topic, (int)r->source_partition,
		                (lua_Integer)r->source_offset);
	else
		lua_pushfstring(L, "record (no source) to %s", r->topic ? r->topic : "(no topic)");
	return 1;
}

/* ---- emit --------------------------------------------------------------- */

/* Adds a record made from @p from (SIZE_MAX: none), the fields of the table
 * at @p t over it, and pushes its handle. */
static int emit_record(lua_State *L, km_lua_t *k, int t, size_t from) {
	km_record_t *n;
	size_t idx;

	luaL_checktype(L, t, LUA_TTABLE);
	/* a typo would silently copy the source's field: refuse unknown keys */
	lua_pushnil(L);
	while (lua_next(L, t)) {
		const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		if (!key || (strcmp(key, "topic") && strcmp(key, "key") && strcmp(key, "value") &&
		             strcmp(key, "headers") && strcmp(key, "partition") &&
		             strcmp(key, "timestamp")))
			return luaL_error(L,
			                  "emit: '%s' is not a field of a record; use topic, key, "
			                  "value, headers, partition, timestamp",
			                  key ? key : luaL_typename(L, -2));
		lua_pop(L, 1);
	}
	n = k->host->batch_add(k->batch, from == SIZE_MAX ? NULL : km_batch_record(k->batch, from));
	if (!n)
		return luaL_error(L, "emit: the flow's memory bound for a batch is reached");
	idx = k->batch->cnt - 1;
	k->n_emitted++;
	if (lua_getfield(L, t, "topic") != LUA_TNIL)
		set_topic(L, k, n, -1);
	else if (!n->topic)
		return luaL_error(L, "emit: a record with no source needs a topic");
	lua_pop(L, 1);
	if (lua_getfield(L, t, "key") != LUA_TNIL)
		set_bytes(L, k, -1, "key", &n->key, &n->key_len);
	lua_pop(L, 1);
	if (lua_getfield(L, t, "value") != LUA_TNIL)
		set_bytes(L, k, -1, "value", &n->value, &n->value_len);
	lua_pop(L, 1);
	if (lua_getfield(L, t, "timestamp") != LUA_TNIL)
		set_timestamp(L, n, -1);
	lua_pop(L, 1);
	if (lua_getfield(L, t, "partition") != LUA_TNIL)
		set_partition(L, k, n, lua_gettop(L));
	lua_pop(L, 1);
	if (lua_getfield(L, t, "headers") != LUA_TNIL) {
		int hs = lua_gettop(L);
		size_t cnt = 0;
		km_header_t *h;

		luaL_checktype(L, hs, LUA_TTABLE);
		lua_pushnil(L);
		while (lua_next(L, hs)) {
			cnt++;
			lua_pop(L, 1);
		}
		if (!(h = k->host->arena_alloc(k->batch, cnt * sizeof(*h) + 1)))
			return luaL_error(L,
			                  "emit: the flow's memory bound for a batch is reached");
		n = km_batch_record(k->batch, idx);
		n->headers = h;
		n->header_cnt = 0;
		if (luaL_len(L, hs) == (lua_Integer)cnt) {
			/* a list of {name, value}: in order, repeats kept */
			for (size_t i = 0; i < cnt; i++) {
				lua_rawgeti(L, hs, (lua_Integer)i + 1);
				luaL_checktype(L, -1, LUA_TTABLE);
				lua_rawgeti(L, -1, 1);
				lua_rawgeti(L, -2, 2);
				header_make(L, k, lua_gettop(L) - 1, &h[i]);
				lua_pop(L, 3);
			}
		} else {
			/* a map name = value: in no defined order */
			size_t i = 0;
			lua_pushnil(L);
			while (lua_next(L, hs)) {
				lua_pushvalue(L, -2);
				lua_insert(L, -2);
				header_make(L, k, lua_gettop(L) - 1, &h[i++]);
				lua_pop(L, 2);
			}
		}
		n->header_cnt = cnt;
	}
	lua_pop(L, 1);
	km_lua_push_record(L, k, idx);
	return 1;
}

/* emit{...}: in process_record, made from the record being processed; in
 * on_tick, with no source. */
int km_lua_emit(lua_State *L) {
	km_lua_t *k = km_lua_of(L);

	if (!k->batch)
		return luaL_error(L, "emit: there is no batch outside process_record, process and "
		                     "on_tick");
	return emit_record(L, k, 1, k->has_from ? k->from : SIZE_MAX);
}

/* ---- batches ------------------------------------------------------------ */

static void batch_check(lua_State *L, km_lua_t *k) {
	const uint64_t *gen = luaL_checkudata(L, 1, "kmirror.batch");

	if (!k->batch || *gen != k->gen)
		luaL_error(L, "a batch was used outside the call that gave it");
}

/* batch:emit(t [, from]) */
static int batch_emit(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	size_t from = SIZE_MAX;

	batch_check(L, k);
	if (!lua_isnoneornil(L, 3))
		rec_check(L, 3, k, &from);
	return emit_record(L, k, 2, from);
}

static int batch_index(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	lua_Integer i;

	batch_check(L, k);
	if (lua_type(L, 2) == LUA_TSTRING && !strcmp(lua_tostring(L, 2), "emit")) {
		lua_pushcfunction(L, batch_emit);
		return 1;
	}
	if (!lua_isinteger(L, 2))
		return luaL_error(L, "a batch is a list of records (batch[1] .. batch[#batch]) "
		                     "with the method emit");
	i = lua_tointeger(L, 2);
	if (i < 1 || (lua_Unsigned)i > k->visible)
		lua_pushnil(L);
	else
		km_lua_push_record(L, k, (size_t)i - 1);
	return 1;
}

static int batch_len(lua_State *L) {
	km_lua_t *k = km_lua_of(L);

	batch_check(L, k);
	lua_pushinteger(L, (lua_Integer)k->visible);
	return 1;
}

void km_lua_push_batch(lua_State *L, km_lua_t *k) {
	lua_rawgeti(L, LUA_REGISTRYINDEX, k->ref_batch);
	*(uint64_t *)lua_touserdata(L, -1) = k->gen;
}

void km_lua_record_open(lua_State *L) {
	static const luaL_Reg rec_meta[] = {{"__index", rec_index},
	                                    {"__newindex", rec_newindex},
	                                    {"__tostring", rec_tostring},
	                                    {NULL, NULL}};
	static const luaL_Reg batch_meta[] = {
	    {"__index", batch_index}, {"__len", batch_len}, {NULL, NULL}};
	km_lua_t *k = km_lua_of(L);

	/* every light userdata shares this metatable: the stage gives out no
	 * other light userdata than records and json.null (NULL), and
	 * rec_check() refuses both json.null and stale handles */
	lua_pushlightuserdata(L, NULL);
	lua_createtable(L, 0, 5);
	luaL_setfuncs(L, rec_meta, 0);
	lua_pushliteral(L, "kmirror.record");
	lua_setfield(L, -2, "__name");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_pop(L, 1);

	luaL_newmetatable(L, "kmirror.batch");
	luaL_setfuncs(L, batch_meta, 0);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);

	*(uint64_t *)lua_newuserdatauv(L, sizeof(uint64_t), 0) = 0;
	luaL_setmetatable(L, "kmirror.batch");
	k->ref_batch = luaL_ref(L, LUA_REGISTRYINDEX);
}
