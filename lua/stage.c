/* The Lua stage: a record stage whose work a Lua 5.4 script does.
 *
 * One lua_State per instance, made in create() with an allocator that caps
 * its memory (memory_max) and a count hook that bounds each call of a
 * script function in instructions (instructions_max) and wall-clock time
 * (time_max). The script defines any of init(params), process(batch),
 * process_record(r) and on_tick(now_ms, emit). process_record is looped
 * over in C, a protected call per record; an error there fails that record
 * alone, and the flow's on_error decides what happens to it. An error in
 * process or on_tick fails the call's batch. */
#define _GNU_SOURCE /* CLOCK_MONOTONIC_COARSE, strdup: plugins have no config.h */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>

#include "lua_stage.h"

#define KM_HOOK_EVERY 1000       /* instructions between two hook calls */
#define KM_SCRIPT_MAX (16 << 20) /* bytes of script text */
#define KM_ERRMSG_MAX 1024       /* of a record's error */
#define KM_MEM_SLACK  (64 << 10) /* over memory_max, outside the script's calls */

static const km_param_t lua_params[] = {
    {.name = "script",
     .type = KM_PARAM_PATH,
     .flags = KM_PARAM_F_REQUIRED,
     .doc = "The Lua 5.4 script; a relative path is taken from the configuration file's "
            "directory. A reload (SIGHUP) loads it again when it changed"},
    {.name = "params",
     .type = KM_PARAM_TREE,
     .doc = "Any value (usually a mapping) handed to the script's init(params)"},
    {.name = "memory_max",
     .type = KM_PARAM_SIZE,
     .def = "64MB",
     .min = 1024 * 1024,
     .max = INT64_C(16) * 1024 * 1024 * 1024,
     .doc = "The most memory the script's Lua state may hold; an allocation past it is a "
            "script error"},
    {.name = "instructions_max",
     .type = KM_PARAM_INT,
     .def = "10000000",
     .min = 1000,
     .max = INT64_C(1000000000000),
     .doc = "The most Lua instructions one call of a script function may run (each "
            "process_record call has its own budget); past it, the call is a script error"},
    {.name = "time_max",
     .type = KM_PARAM_DURATION,
     .def = "1s",
     .min = 1,
     .max = 3600000,
     .doc = "The longest one call of a script function may run, wall clock; past it, the "
            "call is a script error"},
    {.name = NULL},
};

static int64_t mono_ms(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- limits ------------------------------------------------------------- */

static void *lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
	km_lua_t *k = ud;
	void *p;

	if (!ptr)
		osize = 0;
	if (nsize == 0) {
		free(ptr);
		k->mem_used -= osize;
		return NULL;
	}
	/* outside a call of the script (its errors being reported, the stage's
	 * own work) a little over the cap is allowed, so that reporting a
	 * memory error never fails for memory */
	if (nsize > osize &&
	    k->mem_used + (nsize - osize) > k->mem_max + (k->deadline_ms ? 0 : KM_MEM_SLACK)) {
		k->limit_hit = "memory_max";
		return NULL;
	}
	if (!(p = realloc(ptr, nsize)))
		return NULL;
	k->mem_used = k->mem_used - osize + nsize;
	return p;
}

/* The name a message gives a frame: the script's whole path for its own
 * frames, Lua's short name for the others (helpers). */
static const char *frame_src(km_lua_t *k, const lua_Debug *ar) {
	return !strcmp(ar->source, k->chunk) ? k->script : ar->short_src;
}

void km_lua_where(lua_State *L, int level) {
	km_lua_t *k = km_lua_of(L);
	lua_Debug ar;

	if (lua_getstack(L, level, &ar) && lua_getinfo(L, "Sl", &ar) && ar.currentline > 0)
		lua_pushfstring(L, "%s:%d: ", frame_src(k, &ar), ar.currentline);
	else
		lua_pushliteral(L, "");
}

/* @p msg with the script's short name at its start made its whole path
 * (the copy is pushed), or @p msg as it is. */
static const char *full_msg(lua_State *L, km_lua_t *k, const char *msg) {
	size_t n = strlen(k->shown);

	if (n && !strncmp(msg, k->shown, n) && msg[n] == ':')
		return lua_pushfstring(L, "%s%s", k->script, msg + n);
	return msg;
}

/* Raises an error at the running function's line. */
static int limit_error(lua_State *L, const char *msg) {
	km_lua_where(L, 0);
	lua_pushstring(L, msg);
	lua_concat(L, 2);
	return lua_error(L);
}

static void count_hook(lua_State *L, lua_Debug *ar) {
	km_lua_t *k = km_lua_of(L);
	char msg[128];

	(void)ar;
	k->instr_used += KM_HOOK_EVERY;
	if (k->instr_used > k->instr_max) {
		k->limit_hit = "instructions_max";
		snprintf(msg, sizeof(msg),
		         "more than %" PRId64 " instructions in one call (instructions_max)",
		         k->instr_max);
		limit_error(L, msg);
	}
	if (k->deadline_ms && mono_ms() > k->deadline_ms) {
		k->limit_hit = "time_max";
		snprintf(msg, sizeof(msg), "the call ran longer than %" PRId64 " ms (time_max)",
		         k->time_max_ms);
		limit_error(L, msg);
	}
}

/* The message handler: every error names the script's file:line, even one
 * raised inside a C function (which has no line) or a helper module. */
static int msgh(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	const char *msg = lua_tostring(L, 1);
	size_t slen = strlen(k->script);
	lua_Debug ar;

	if (!msg)
		msg =
		    lua_pushfstring(L, "(an error object that is a %s value)", luaL_typename(L, 1));
	if (k->limit_hit && !strcmp(k->limit_hit, "memory_max"))
		msg = lua_pushfstring(
		    L, "%s: the script's state holds more than memory_max (%I bytes)", msg,
		    (lua_Integer)k->mem_max);
	msg = full_msg(L, k, msg);
	if (!strncmp(msg, k->script, slen) && msg[slen] == ':')
		return lua_pushstring(L, msg), 1;
	for (int level = 1; lua_getstack(L, level, &ar); level++) {
		if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0 ||
		    strcmp(ar.source, k->chunk))
			continue;
		lua_pushfstring(L, "%s:%d: %s", k->script, ar.currentline, msg);
		return 1;
	}
	lua_pushstring(L, msg);
	return 1;
}

/* lua_pcall within the limits, the message handler at @p h. */
static int limited_call(km_lua_t *k, int nargs, int nres, int h) {
	int rc;

	k->instr_used = 0;
	k->limit_hit = NULL;
	k->deadline_ms = mono_ms() + k->time_max_ms;
	rc = lua_pcall(k->L, nargs, nres, h);
	/* time spent inside one C function (gsub, string.rep, a JSON decode) is
	 * not seen by the hook until it returns: look once more at the end */
	if (rc == LUA_OK && mono_ms() > k->deadline_ms) {
		lua_pop(k->L, nres);
		lua_pushfstring(k->L,
		                "%s: the call ran longer than %I ms (time_max), most of it in a "
		                "C function (the limit is checked between Lua instructions)",
		                k->script, (lua_Integer)k->time_max_ms);
		k->limit_hit = "time_max";
		rc = LUA_ERRRUN;
	}
	k->deadline_ms = 0;
	if (k->limit_hit && !strcmp(k->limit_hit, "memory_max"))
		lua_gc(k->L, LUA_GCCOLLECT);
	if (rc == LUA_ERRMEM) {
		/* Lua calls no message handler for these: the line is not known */
		lua_pop(k->L, 1);
		if (k->limit_hit && !strcmp(k->limit_hit, "memory_max"))
			lua_pushfstring(k->L,
			                "%s: not enough memory: the script's state holds more than "
			                "memory_max (%I bytes)",
			                k->script, (lua_Integer)k->mem_max);
		else
			lua_pushfstring(k->L, "%s: not enough memory", k->script);
	}
	return rc;
}

/* ---- loading ------------------------------------------------------------ */

static void push_value(lua_State *L, const km_value_t *v) {
	switch (v->kind) {
	case KM_VALUE_NULL:
		lua_pushnil(L);
		return;
	case KM_VALUE_SCALAR:
		if (!v->quoted) {
			if (!strcmp(v->text, "true") || !strcmp(v->text, "false")) {
				lua_pushboolean(L, v->text[0] == 't');
				return;
			}
			if (lua_stringtonumber(L, v->text))
				return;
		}
		lua_pushstring(L, v->text);
		return;
	case KM_VALUE_MAP:
		lua_createtable(L, 0, (int)v->cnt);
		for (size_t i = 0; i < v->cnt; i++) {
			push_value(L, &v->items[i]);
			lua_setfield(L, -2, v->keys[i]);
		}
		return;
	case KM_VALUE_LIST:
		lua_createtable(L, (int)v->cnt, 0);
		for (size_t i = 0; i < v->cnt; i++) {
			push_value(L, &v->items[i]);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		return;
	}
	lua_pushnil(L);
}

/* The script's function @p name, as a registry reference (LUA_NOREF: not
 * defined). */
static int script_fn(lua_State *L, const char *name) {
	int t = lua_getfield(L, -1, name);

	if (t == LUA_TNIL) {
		lua_pop(L, 1);
		return LUA_NOREF;
	}
	if (t != LUA_TFUNCTION)
		luaL_error(L, "%s: '%s' must be a function, not %s", km_lua_of(L)->script, name,
		           lua_typename(L, t));
	return luaL_ref(L, LUA_REGISTRYINDEX);
}

typedef struct km_load {
	const char *text;
	size_t len;
	const km_value_t *params;
} km_load_t;

/* Protected: the sandbox, the script's main chunk, its functions, init. */
static int load_script(lua_State *L) {
	km_lua_t *k = km_lua_of(L);
	const km_load_t *ld = lua_touserdata(L, 1);
	lua_Debug ar;

	km_lua_sandbox_open(k); /* leaves the script's environment */
	km_lua_record_open(L);
	if (luaL_loadbufferx(L, ld->text, ld->len, k->chunk, "t") != LUA_OK) {
		/* a syntax error: its message gives Lua's short name */
		const char *bad = lua_tostring(L, -1);
		size_t n = strlen(k->chunk + 1);
		if (bad && !strncmp(bad, k->chunk + 1, n) && bad[n] == ':')
			lua_pushfstring(L, "%s%s", k->script, bad + n);
		return lua_error(L);
	}
	lua_pushvalue(L, -1);
	if (lua_getinfo(L, ">S", &ar))
		snprintf(k->shown, sizeof(k->shown), "%s", ar.short_src);
	lua_pushvalue(L, -2);
	lua_setupvalue(L, -2, 1);
	lua_pushcfunction(L, msgh);
	lua_insert(L, -2);
	if (limited_call(k, 0, 0, lua_gettop(L) - 1) != LUA_OK)
		return lua_error(L);
	lua_pop(L, 1); /* msgh */
	k->ref_process = script_fn(L, "process");
	k->ref_process_record = script_fn(L, "process_record");
	k->ref_on_tick = script_fn(L, "on_tick");
	if (k->ref_process != LUA_NOREF && k->ref_process_record != LUA_NOREF)
		return luaL_error(L,
		                  "%s: the script defines both process and process_record; define "
		                  "one of them (process sees the whole batch, process_record one "
		                  "record at a time)",
		                  k->script);
	if (lua_getfield(L, -1, "init") != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TFUNCTION)
			return luaL_error(L, "%s: 'init' must be a function, not %s", k->script,
			                  luaL_typename(L, -1));
		lua_pushcfunction(L, msgh);
		lua_insert(L, -2);
		if (ld->params)
			push_value(L, ld->params);
		else
			lua_newtable(L);
		if (limited_call(k, 1, 0, lua_gettop(L) - 2) != LUA_OK)
			return lua_error(L);
	}
	return 0;
}

static char *read_script(const char *path, size_t *len, char *errstr, size_t errstr_size) {
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!fp) {
		snprintf(errstr, errstr_size, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			char *nb;
			cap = cap ? cap * 2 : 8192;
			if (cap > KM_SCRIPT_MAX + 1 || !(nb = realloc(buf, cap))) {
				snprintf(errstr, errstr_size, "%s: %s", path,
				         cap > KM_SCRIPT_MAX + 1 ? "the script is larger than 16 MB"
				                                 : "out of memory");
				free(buf);
				fclose(fp);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, fp);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(fp)) {
		snprintf(errstr, errstr_size, "cannot read %s: %s", path, strerror(errno));
		free(buf);
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	*len = n;
	return buf;
}

static void lua_destroy(void *inst) {
	km_lua_t *k = inst;

	if (!k)
		return;
	if (k->L)
		lua_close(k->L);
	free(k->script);
	free(k->chunk);
	free(k);
}

static km_err_t lua_create(const km_host_api_t *host, km_ctx_t *ctx, const km_params_t *params,
                           void **instp, char *errstr, size_t errstr_size) {
	km_lua_t *k;
	km_load_t ld = {0};
	char *text = NULL;
	km_err_t err = KM_ERR_INVALID;

	if (!KM_HOST_HAS(host, param_tree)) {
		snprintf(errstr, errstr_size,
		         "the Lua stage needs a kmirrord with plugin ABI 2.2 or "
		         "later");
		return KM_ERR_ABI;
	}
	if (!(k = calloc(1, sizeof(*k))) ||
	    !(k->script = strdup(host->param_str(params, "script"))) ||
	    !(k->chunk = malloc(strlen(k->script) + 2))) {
		if (k)
			free(k->script);
		free(k);
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	sprintf(k->chunk, "@%s", strrchr(k->script, '/') ? strrchr(k->script, '/') + 1 : k->script);
	k->host = host;
	k->ctx = ctx;
	k->mem_max = (size_t)host->param_int(params, "memory_max");
	k->instr_max = host->param_int(params, "instructions_max");
	k->time_max_ms = host->param_int(params, "time_max");
	k->ref_process = k->ref_process_record = k->ref_on_tick = LUA_NOREF;
	if (!(text = read_script(k->script, &ld.len, errstr, errstr_size))) {
		host->param_error(ctx, "script", 0);
		goto fail;
	}
	ld.text = text;
	ld.params = host->param_tree(params, "params");
	if (!(k->L = lua_newstate(lua_alloc, k))) {
		snprintf(errstr, errstr_size, "cannot make a Lua state: out of memory");
		err = KM_ERR_NOMEM;
		goto fail;
	}
	*(km_lua_t **)lua_getextraspace(k->L) = k;
	lua_sethook(k->L, count_hook, LUA_MASKCOUNT, KM_HOOK_EVERY);
	lua_pushcfunction(k->L, load_script);
	lua_pushlightuserdata(k->L, &ld);
	if (lua_pcall(k->L, 1, 0, 0) != LUA_OK) {
		snprintf(errstr, errstr_size, "%s", lua_tostring(k->L, -1));
		host->param_error(ctx, "script", 0);
		goto fail;
	}
	lua_settop(k->L, 0);
	lua_gc(k->L, LUA_GCGEN, 0, 0);
	k->c_dropped = host->counter(ctx, "dropped", "Records the script dropped");
	k->c_emitted = host->counter(ctx, "emitted", "Records the script emitted");
	k->c_errors = host->counter(ctx, "script_errors",
	                            "Records the script failed, and calls "
	                            "that raised an error");
	free(text);
	*instp = k;
	return KM_OK;
fail:
	free(text);
	lua_destroy(k);
	return err;
}

/* ---- calls -------------------------------------------------------------- */

static void begin(km_lua_t *k, km_batch_t *batch) {
	k->batch = batch;
	k->gen++;
	k->visible = batch->cnt;
	k->has_from = 0;
	k->n_dropped = k->n_emitted = k->n_errors = 0;
}

static void end(km_lua_t *k) {
	k->batch = NULL;
	k->has_from = 0;
	if (k->n_dropped)
		k->host->counter_add(k->c_dropped, k->n_dropped);
	if (k->n_emitted)
		k->host->counter_add(k->c_emitted, k->n_emitted);
	if (k->n_errors)
		k->host->counter_add(k->c_errors, k->n_errors);
	lua_settop(k->L, 0);
}

/* Record @p i failed with the message on top of the stack. */
static void fail_record(km_lua_t *k, size_t i) {
	km_record_t *r = km_batch_record(k->batch, i);
	size_t n;
	const char *msg = lua_tolstring(k->L, -1, &n);
	char *e;

	if (n > KM_ERRMSG_MAX)
		n = KM_ERRMSG_MAX;
	if ((e = k->host->arena_alloc(k->batch, n + 1))) {
		memcpy(e, msg, n);
		e[n] = '\0';
	}
	r->flags |= KM_RECORD_F_ERROR;
	r->error = e ? e : "a script error (its message did not fit in the batch's memory)";
	k->n_errors++;
	lua_pop(k->L, 1);
}

/* The message of a process_record that returned neither nothing, true nor
 * false. */
static void bad_return(km_lua_t *k) {
	lua_State *L = k->L;
	lua_Debug ar;
	const char *t = luaL_typename(L, -1);
	int line = 0;

	lua_rawgeti(L, LUA_REGISTRYINDEX, k->ref_process_record);
	if (lua_getinfo(L, ">S", &ar)) /* pops the function */
		line = ar.linedefined;
	lua_pushfstring(L,
	                "%s:%d: process_record returned a %s; return false to drop the record, "
	                "nothing (or true) to keep it",
	                k->script, line, t);
}

static void run_records(km_lua_t *k) {
	lua_State *L = k->L;
	size_t n = k->visible;

	lua_pushcfunction(L, msgh);
	for (size_t i = 0; i < n; i++) {
		const km_record_t *r = km_batch_record(k->batch, i);

		if (r->flags & (KM_RECORD_F_DROP | KM_RECORD_F_ERROR))
			continue;
		k->from = i;
		k->has_from = 1;
		lua_rawgeti(L, LUA_REGISTRYINDEX, k->ref_process_record);
		km_lua_push_record(L, k, i);
		if (limited_call(k, 1, 1, 1) != LUA_OK) {
			fail_record(k, i);
			continue;
		}
		if (lua_isnil(L, -1) || (lua_isboolean(L, -1) && lua_toboolean(L, -1))) {
			lua_pop(L, 1);
			continue;
		}
		if (lua_isboolean(L, -1)) {
			km_record_t *w = km_batch_record(k->batch, i);
			if (!(w->flags & KM_RECORD_F_DROP))
				k->n_dropped++;
			w->flags |= KM_RECORD_F_DROP;
			lua_pop(L, 1);
			continue;
		}
		bad_return(k);
		lua_remove(L, -2);
		fail_record(k, i);
	}
	k->has_from = 0;
}

static km_stage_action_t lua_process(void *inst, km_batch_t *batch, char *errstr,
                                     size_t errstr_size) {
	km_lua_t *k = inst;
	lua_State *L = k->L;
	km_stage_action_t act = KM_STAGE_OK;

	if (k->ref_process == LUA_NOREF && k->ref_process_record == LUA_NOREF)
		return KM_STAGE_OK;
	begin(k, batch);
	if (k->ref_process_record != LUA_NOREF) {
		run_records(k);
	} else {
		lua_pushcfunction(L, msgh);
		lua_rawgeti(L, LUA_REGISTRYINDEX, k->ref_process);
		km_lua_push_batch(L, k);
		if (limited_call(k, 1, 1, 1) != LUA_OK) {
			snprintf(errstr, errstr_size, "%s", lua_tostring(L, -1));
			k->n_errors++;
			act = KM_STAGE_ERROR;
		} else if (!lua_isnil(L, -1)) {
			snprintf(errstr, errstr_size,
			         "%s: process returned a %s; it returns nothing (drop records with "
			         "r:drop(), fail one with r:fail(why))",
			         k->script, luaL_typename(L, -1));
			k->n_errors++;
			act = KM_STAGE_ERROR;
		}
	}
	end(k);
	return act;
}

static km_stage_action_t lua_tick(void *inst, km_batch_t *batch, int64_t now_ms, char *errstr,
                                  size_t errstr_size) {
	km_lua_t *k = inst;
	lua_State *L = k->L;
	km_stage_action_t act = KM_STAGE_OK;

	if (k->ref_on_tick == LUA_NOREF)
		return KM_STAGE_OK;
	begin(k, batch);
	lua_pushcfunction(L, msgh);
	lua_rawgeti(L, LUA_REGISTRYINDEX, k->ref_on_tick);
	lua_pushinteger(L, now_ms);
	lua_pushcfunction(L, km_lua_emit);
	if (limited_call(k, 2, 0, 1) != LUA_OK) {
		snprintf(errstr, errstr_size, "%s", lua_tostring(L, -1));
		k->n_errors++;
		act = KM_STAGE_ERROR;
	}
	end(k);
	return act;
}

static const km_stage_ops_t lua_stage_ops = {
    KM_OPS(km_stage_ops_t),
    .process = lua_process,
    .tick = lua_tick,
};

KM_PLUGIN_DEFINE(.name = "lua", .version = "1.0.0", .kind = KM_PLUGIN_STAGE, .params = lua_params,
                 .description = "Runs a Lua 5.4 script over the records: filter, change, "
                                "route, fan out, aggregate",
                 .create = lua_create, .destroy = lua_destroy, .stage = &lua_stage_ops);
