/* The helper modules a script can require: Lua ones from lua/lib/, their
 * text built into lua.so (lua/embed.sh writes lua_libs.c at build time), so
 * that the stage needs no path and a script cannot load other files; and C
 * ones. */
#ifndef KM_LUA_EMBED_H
#define KM_LUA_EMBED_H

#include <stddef.h>

#include <lua.h>

typedef struct km_lua_embed {
	const char *name; /* what require() takes, e.g. "kmirror.window" */
	const char *text; /* a Lua module: its source */
	size_t len;
	lua_CFunction open; /* a C module: pushes its table */
} km_lua_embed_t;

/* Both end with an entry whose name is NULL. */
extern const km_lua_embed_t km_lua_libs[];
extern const km_lua_embed_t km_lua_cmods[];

#endif
