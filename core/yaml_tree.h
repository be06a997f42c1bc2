/* The YAML configuration tree.
 *
 * km_yaml_load() reads a file with libyaml into a small tree whose every
 * node carries file:line:col. Scalars have ${env:NAME} and ${file:PATH}
 * expanded at load time; a node whose text came from such a reference is
 * marked secret and its value never appears in a message. Schemas are
 * bound to the tree by params.h; the configuration model built from it is
 * config_model.h. */
#ifndef KM_YAML_TREE_H
#define KM_YAML_TREE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kmirror/plugin.h"

typedef enum km_node_type {
	KM_NODE_SCALAR = 1,
	KM_NODE_MAP,
	KM_NODE_SEQ,
} km_node_type_t;

typedef struct km_node {
	km_node_type_t type;
	const char *file; /* shared by every node of a file */
	int line, col;    /* 1-based, where the node starts */
	char *scalar;     /* KM_NODE_SCALAR: text after expansion, NUL-terminated */
	int secret;       /* scalar came from ${env:...} or ${file:...} */
	int null;         /* scalar was a YAML null (~, null, or empty) */
	int quoted;       /* scalar was written in quotes (or as a block): text,
	                     never a number or a boolean */
	/* KM_NODE_MAP: keys[i] (scalar nodes) maps to vals[i], in file order;
	 * KM_NODE_SEQ: vals[i] are the items. */
	struct km_node **keys;
	struct km_node **vals;
	size_t cnt;
	char *file_buf; /* the root only: the storage of `file` */
} km_node_t;

/* Loads @p path. NULL on error, with errstr "FILE:LINE:COL: ..." (or
 * "FILE: ..." when the file cannot be read). Duplicate keys in a mapping,
 * anchors/aliases and multiple documents are refused. */
km_node_t *km_yaml_load(const char *path, char *errstr, size_t errstr_size);
/* Same, from a string; @p name is used as the file name in positions. */
km_node_t *km_yaml_load_string(const char *name, const char *text, char *errstr,
                               size_t errstr_size);
void km_node_free(km_node_t *n);

/* The value of @p key in mapping @p map, or NULL. */
const km_node_t *km_node_get(const km_node_t *map, const char *key);
/* 1 when @p a and @p b hold the same content (types, texts after expansion,
 * keys in the same order), whatever their positions; NULL equals NULL. For
 * reloads: a flow whose nodes are equal is unchanged. */
int km_node_equal(const km_node_t *a, const km_node_t *b);
/* The key node of @p key in mapping @p map (for its position), or NULL. */
const km_node_t *km_node_key(const km_node_t *map, const char *key);
/* Writes "FILE:LINE:COL" of @p n to @p buf and returns @p buf. */
const char *km_node_pos(const km_node_t *n, char *buf, size_t size);
/* The node's type as a word for messages: "a scalar", "a mapping", "a list". */
const char *km_node_type_name(const km_node_t *n);
/* Writes "FILE:LINE:COL: " (nothing when @p n is NULL) and the message to
 * @p errstr, truncated to @p errstr_size. */
void km_node_err(char *errstr, size_t errstr_size, const km_node_t *n, const char *fmt, ...)
    KM_PRINTF(4, 5);
/* Appends to the NUL-terminated message @p errstr, truncating at
 * @p errstr_size. */
void km_errcat(char *errstr, size_t errstr_size, const char *fmt, ...) KM_PRINTF(3, 4);

/* For messages: printf("key 'k': " KM_SHOW_FMT " is wrong", KM_SHOW(n))
 * prints the scalar quoted ('text'), or "a secret value" for a node whose
 * text came from ${env:} or ${file:}. */
#define KM_SHOW_FMT "%s%s%s"
#define KM_SHOW_IF(text, secret)                                                                   \
	((secret) ? "" : "'"), ((secret) ? "a secret value" : (text)), ((secret) ? "" : "'")
#define KM_SHOW(n) KM_SHOW_IF((n)->scalar, (n)->secret)

#endif
