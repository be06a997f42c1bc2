/* JSON for Lua scripts: the module the Lua stage preloads as
 * require("kmirror.json"). Its get/set/remove work on the record's JSON text
 * itself and leave every byte they do not change as it was (whitespace, key
 * order, number spellings, escapes), which a decode + encode round trip
 * cannot do; decode/encode keep integers exact, key order and the difference
 * between [] and {}. lua/json.md says what each function keeps and loses. */
#ifndef KM_LUA_JSON_H
#define KM_LUA_JSON_H

#include <lua.h>

/** The deepest nesting of objects and arrays the module reads or writes. */
#define KM_LUA_JSON_MAX_DEPTH 200

/**
 * @brief Pushes the module table: get, set, remove, decode, encode, array,
 *        object and null.
 *
 * A lua_CFunction, for luaL_requiref() or package.preload. It keeps no state
 * outside @p L (its metatables live in L's registry), so every lua_State
 * opens its own copy. Convention of the functions it pushes: input data
 * they cannot handle (invalid JSON, a missing parent, a value with no JSON
 * form) gives nil and a message; wrong argument types (a path that is
 * neither a string nor a table, ...) raise an error.
 *
 * @param[in] L  the state to push the table on
 *
 * @returns 1 (the table, on top of the stack).
 *
 * @locality the thread that owns @p L.
 */
int km_lua_json_open(lua_State *L);

#endif /* KM_LUA_JSON_H */
