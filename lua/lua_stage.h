/* The Lua stage's instance, shared by its files:
 *
 *   stage.c    the plugin: parameters, loading the script, calling it per
 *              batch, per record or per tick, and the limits
 *   sandbox.c  what a script can reach: the safe standard library, the
 *              kmirror table, require of the helpers
 *   record.c   records and batches as scripts see them, and emit
 *
 * An instance belongs to one flow and runs on its data thread (create and
 * destroy on the main thread), so nothing here is locked. */
#ifndef KM_LUA_STAGE_H
#define KM_LUA_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include <kmirror/plugin.h>

typedef struct km_lua {
	const km_host_api_t *host;
	km_ctx_t *ctx;
	lua_State *L;
	char *script; /* its absolute path, as messages give it */
	/* The chunk's name, "@" and the file's base name, and how Lua shows it
	 * in its own messages: Lua cuts a long name to "...tail" (LUA_IDSIZE),
	 * so a short one is given and messages are mapped back to the path. */
	char *chunk;
	char shown[LUA_IDSIZE];

	/* limits */
	size_t mem_used, mem_max;
	int64_t instr_max;  /* per call of a script function */
	int64_t instr_used; /* in the running call, counted by the hook */
	int64_t time_max_ms;
	int64_t deadline_ms;   /* of the running call, monotonic; 0: none */
	const char *limit_hit; /* the limit that stopped the call, or NULL */

	/* the script's functions and tables (registry references) */
	int ref_env, ref_process, ref_process_record, ref_on_tick, ref_tick_emit, ref_batch;

	/* the call in progress: records are valid only during it */
	km_batch_t *batch;
	uint64_t gen;   /* of the call; a record handle carries it */
	size_t visible; /* records of the batch the script sees (emitted ones
	                   come after) */
	size_t from;    /* process_record: the record emit() makes copies of */
	int has_from;

	/* counted per batch, added to the host's counters once per call */
	uint64_t n_dropped, n_emitted, n_errors;
	km_counter_t *c_dropped, *c_emitted, *c_errors;
} km_lua_t;

/* The instance of @p L (stored in its extra space). */
static inline km_lua_t *km_lua_of(lua_State *L) {
	return *(km_lua_t **)lua_getextraspace(L);
}

/* stage.c: pushes "PATH:LINE: " for the function at @p level when it is
 * the script's (luaL_where with the script's whole path), else what
 * luaL_where pushes. */
void km_lua_where(lua_State *L, int level);

/* sandbox.c: makes the script's environment table (with a metatable that
 * reads the safe globals) and leaves it on the stack. 0 on success. */
int km_lua_sandbox_open(km_lua_t *k);
/* Runs an embedded helper module's text as a chunk; see sandbox.c. */
int km_lua_require(lua_State *L);

/* record.c: the record and batch metatables, and the functions emit and
 * batch:emit. */
void km_lua_record_open(lua_State *L);
/* Pushes the handle of record @p idx of the running call. */
void km_lua_push_record(lua_State *L, km_lua_t *k, size_t idx);
/* Pushes the batch object of the running call. */
void km_lua_push_batch(lua_State *L, km_lua_t *k);
/* The emit function given to on_tick and set as the global emit. */
int km_lua_emit(lua_State *L);

#endif
