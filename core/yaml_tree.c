/* The YAML configuration tree: libyaml's event API into km_node_t, with
 * positions and ${env:}/${file:} expansion. See yaml_tree.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "yaml_tree.h"

/* Deeper nesting is refused rather than recursed into: the tree is freed
 * recursively and no configuration needs more than a handful of levels. */
#define KM_YAML_MAX_DEPTH 64

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

typedef struct km_buf {
	char *p;
	size_t len, cap;
} km_buf_t;

/* KM_ERR_NOMEM when out of memory. */
static km_err_t km_buf_add(km_buf_t *b, const char *s, size_t n) {
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return KM_ERR_NOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return KM_OK;
}

static void km_vfmt(char *errstr, size_t errstr_size, const char *prefix, const char *fmt,
                    va_list ap) KM_PRINTF(4, 0);

static void km_vfmt(char *errstr, size_t errstr_size, const char *prefix, const char *fmt,
                    va_list ap) {
	if (!errstr || !errstr_size)
		return;
	int n = snprintf(errstr, errstr_size, "%s", prefix);
	if (n < 0)
		n = 0;
	if ((size_t)n < errstr_size)
		vsnprintf(errstr + n, errstr_size - (size_t)n, fmt, ap);
}

void km_errcat(char *errstr, size_t errstr_size, const char *fmt, ...) {
	size_t len = strnlen(errstr, errstr_size);
	if (len + 1 >= errstr_size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errstr + len, errstr_size - len, fmt, ap);
	va_end(ap);
}

static void km_errpos(char *errstr, size_t errstr_size, const char *file, int line, int col,
                      const char *fmt, ...) KM_PRINTF(6, 7);

static void km_errpos(char *errstr, size_t errstr_size, const char *file, int line, int col,
                      const char *fmt, ...) {
	char prefix[64];
	va_list ap;

	if (!errstr || !errstr_size)
		return;
	snprintf(errstr, errstr_size, "%s", file);
	snprintf(prefix, sizeof(prefix), ":%d:%d: ", line, col);
	km_errcat(errstr, errstr_size, "%s", prefix);
	size_t len = strnlen(errstr, errstr_size);
	if (len + 1 >= errstr_size)
		return;
	va_start(ap, fmt);
	vsnprintf(errstr + len, errstr_size - len, fmt, ap);
	va_end(ap);
}

void km_node_err(char *errstr, size_t errstr_size, const km_node_t *n, const char *fmt, ...) {
	va_list ap;

	if (!errstr || !errstr_size)
		return;
	if (!n) {
		va_start(ap, fmt);
		km_vfmt(errstr, errstr_size, "", fmt, ap);
		va_end(ap);
		return;
	}
	km_errpos(errstr, errstr_size, n->file, n->line, n->col, "%s", "");
	size_t len = strnlen(errstr, errstr_size);
	if (len + 1 >= errstr_size)
		return;
	va_start(ap, fmt);
	vsnprintf(errstr + len, errstr_size - len, fmt, ap);
	va_end(ap);
}

const char *km_node_pos(const km_node_t *n, char *buf, size_t size) {
	snprintf(buf, size, "%s:%d:%d", n->file, n->line, n->col);
	return buf;
}

const char *km_node_type_name(const km_node_t *n) {
	if (!n)
		return "nothing";
	switch (n->type) {
	case KM_NODE_SCALAR:
		return n->null ? "empty" : "a scalar";
	case KM_NODE_MAP:
		return "a mapping";
	case KM_NODE_SEQ:
		return "a list";
	}
	return "unknown";
}

/* The index of @p key in mapping @p map, or -1. */
static ssize_t node_find(const km_node_t *map, const char *key) {
	if (!map || map->type != KM_NODE_MAP)
		return -1;
	for (size_t i = 0; i < map->cnt; i++)
		if (!strcmp(map->keys[i]->scalar, key))
			return (ssize_t)i;
	return -1;
}

const km_node_t *km_node_key(const km_node_t *map, const char *key) {
	ssize_t i = node_find(map, key);

	return i < 0 ? NULL : map->keys[i];
}

const km_node_t *km_node_get(const km_node_t *map, const char *key) {
	ssize_t i = node_find(map, key);

	return i < 0 ? NULL : map->vals[i];
}

int km_node_equal(const km_node_t *a, const km_node_t *b) {
	if (!a || !b)
		return a == b;
	if (a->type != b->type || a->cnt != b->cnt || a->null != b->null)
		return 0;
	if (a->type == KM_NODE_SCALAR)
		return !strcmp(a->scalar, b->scalar);
	for (size_t i = 0; i < a->cnt; i++) {
		if (a->type == KM_NODE_MAP && strcmp(a->keys[i]->scalar, b->keys[i]->scalar))
			return 0;
		if (!km_node_equal(a->vals[i], b->vals[i]))
			return 0;
	}
	return 1;
}

void km_node_free(km_node_t *n) {
	if (!n)
		return;
	for (size_t i = 0; i < n->cnt; i++) {
		if (n->keys)
			km_node_free(n->keys[i]);
		km_node_free(n->vals[i]);
	}
	free(n->keys);
	free(n->vals);
	free(n->scalar);
	free(n->file_buf);
	free(n);
}

/* ------------------------------------------------------------------------ */
/* Loading                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct km_frame {
	km_node_t *node;
	km_node_t *key;   /* KM_NODE_MAP: the key waiting for its value */
	const char *name; /* the key this container is the value of */
} km_frame_t;

typedef struct km_loader {
	const char *file; /* for positions; owned by root */
	const char *dir;  /* base of relative ${file:} paths; NULL: cwd */
	km_frame_t stack[KM_YAML_MAX_DEPTH];
	size_t depth;
	km_node_t *root;
	int docs;
	char *errstr;
	size_t errstr_size;
} km_loader_t;

#define KM_LERR(l, mark, ...)                                                                      \
	km_errpos((l)->errstr, (l)->errstr_size, (l)->file, (int)(mark).line + 1,                  \
	          (int)(mark).column + 1, __VA_ARGS__)

static km_node_t *km_node_new(km_loader_t *l, km_node_type_t type, const yaml_mark_t *mark) {
	km_node_t *n = calloc(1, sizeof(*n));
	if (!n) {
		KM_LERR(l, *mark, "out of memory");
		return NULL;
	}
	n->type = type;
	n->file = l->file;
	n->line = (int)mark->line + 1;
	n->col = (int)mark->column + 1;
	return n;
}

/* Appends @p key (NULL in a list) and @p val to container @p c;
 * KM_ERR_NOMEM when out of memory. */
static km_err_t km_node_append(km_loader_t *l, km_node_t *c, km_node_t *key, km_node_t *val) {
	km_node_t **vals = realloc(c->vals, (c->cnt + 1) * sizeof(*vals));
	if (!vals)
		goto nomem;
	c->vals = vals;
	if (c->type == KM_NODE_MAP) {
		km_node_t **keys = realloc(c->keys, (c->cnt + 1) * sizeof(*keys));
		if (!keys)
			goto nomem;
		c->keys = keys;
		c->keys[c->cnt] = key;
	}
	c->vals[c->cnt++] = val;
	return KM_OK;
nomem:
	km_node_err(l->errstr, l->errstr_size, val, "out of memory");
	return KM_ERR_NOMEM;
}

static void km_ref_err(km_loader_t *l, const yaml_mark_t *mark, const char *key, const char *fmt,
                       ...) KM_PRINTF(4, 5);

static void km_ref_err(km_loader_t *l, const yaml_mark_t *mark, const char *key, const char *fmt,
                       ...) {
	va_list ap;

	if (key)
		KM_LERR(l, *mark, "key '%s': ", key);
	else
		KM_LERR(l, *mark, "%s", "");
	size_t len = strnlen(l->errstr, l->errstr_size);
	if (len + 1 >= l->errstr_size)
		return;
	va_start(ap, fmt);
	vsnprintf(l->errstr + len, l->errstr_size - len, fmt, ap);
	va_end(ap);
}

/* Reads the whole of @p path into a NUL-terminated buffer. Returns 0, or an
 * errno value; EINVAL when the file holds a NUL byte. */
static int km_read_file(const char *path, char **bufp, size_t *lenp) {
	km_buf_t b = {0};
	char chunk[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return errno;
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			break;
		}
		if (r == 0)
			break;
		if (km_buf_add(&b, chunk, (size_t)r) != KM_OK) {
			err = ENOMEM;
			break;
		}
	}
	close(fd);
	if (!err && !b.p && km_buf_add(&b, "", 0) != KM_OK)
		err = ENOMEM;
	if (!err && strlen(b.p) != b.len)
		err = EINVAL;
	if (err) {
		free(b.p);
		return err;
	}
	*bufp = b.p;
	*lenp = b.len;
	return 0;
}

static int km_valid_env_name(const char *s, size_t n) {
	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

/* Expands ${env:NAME} and ${file:PATH} in @p text; "$${" is a literal "${".
 * Sets *secretp when a reference was expanded. */
static char *km_expand(km_loader_t *l, const char *text, size_t len, const yaml_mark_t *mark,
                       const char *key, int *secretp) {
	km_buf_t b = {0};
	size_t i = 0;

	*secretp = 0;
	if (km_buf_add(&b, "", 0) != KM_OK)
		goto nomem;
	while (i < len) {
		const char *dollar = memchr(text + i, '$', len - i);
		if (!dollar) {
			if (km_buf_add(&b, text + i, len - i) != KM_OK)
				goto nomem;
			break;
		}
		size_t d = (size_t)(dollar - text);
		if (km_buf_add(&b, text + i, d - i) != KM_OK)
			goto nomem;
		if (d + 2 < len && text[d + 1] == '$' && text[d + 2] == '{') {
			if (km_buf_add(&b, "${", 2) != KM_OK)
				goto nomem;
			i = d + 3;
			continue;
		}
		if (d + 1 >= len || text[d + 1] != '{') {
			if (km_buf_add(&b, "$", 1) != KM_OK)
				goto nomem;
			i = d + 1;
			continue;
		}
		const char *ref = text + d + 2;
		const char *end = memchr(ref, '}', len - d - 2);
		if (!end) {
			km_ref_err(
			    l, mark, key,
			    "'${' is not closed with '}'; write ${env:NAME} or ${file:PATH}, "
			    "or $${ for a literal ${");
			goto fail;
		}
		size_t rlen = (size_t)(end - ref);
		if (rlen > 4 && !strncmp(ref, "env:", 4)) {
			char *name = strndup(ref + 4, rlen - 4);
			if (!name)
				goto nomem;
			if (!km_valid_env_name(name, rlen - 4)) {
				km_ref_err(
				    l, mark, key,
				    "${env:%s}: '%s' is not an environment variable name; use "
				    "letters, digits and '_'",
				    name, name);
				free(name);
				goto fail;
			}
			const char *v = getenv(name);
			if (!v) {
				km_ref_err(l, mark, key,
				           "${env:%s}: the environment variable %s is not set",
				           name, name);
				free(name);
				goto fail;
			}
			free(name);
			if (km_buf_add(&b, v, strlen(v)) != KM_OK)
				goto nomem;
		} else if (rlen > 5 && !strncmp(ref, "file:", 5)) {
			char *path = strndup(ref + 5, rlen - 5);
			char *full = NULL, *data = NULL;
			size_t dlen = 0;
			km_err_t added;
			int err;
			if (!path)
				goto nomem;
			if (path[0] != '/' && l->dir) {
				if (asprintf(&full, "%s/%s", l->dir, path) < 0) {
					free(path);
					goto nomem;
				}
			}
			err = km_read_file(full ? full : path, &data, &dlen);
			free(full);
			if (err == EINVAL) {
				km_ref_err(
				    l, mark, key,
				    "${file:%s}: the file holds a NUL byte; a secret file must "
				    "hold text",
				    path);
				free(path);
				goto fail;
			} else if (err) {
				km_ref_err(l, mark, key, "${file:%s}: the file cannot be read: %s",
				           path, strerror(err));
				free(path);
				goto fail;
			}
			free(path);
			if (dlen && data[dlen - 1] == '\n') {
				dlen--;
				if (dlen && data[dlen - 1] == '\r')
					dlen--;
			}
			added = km_buf_add(&b, data, dlen);
			explicit_bzero(data, dlen);
			free(data);
			if (added != KM_OK)
				goto nomem;
		} else {
			km_ref_err(l, mark, key,
			           "'${%.*s}' is not a reference kmirror knows; use ${env:NAME} or "
			           "${file:PATH}, or $${ for a literal ${",
			           (int)rlen, ref);
			goto fail;
		}
		*secretp = 1;
		i = (size_t)(end - text) + 1;
	}
	return b.p;
nomem:
	KM_LERR(l, *mark, "out of memory");
fail:
	if (b.p)
		explicit_bzero(b.p, b.len);
	free(b.p);
	return NULL;
}

static int km_is_null(const yaml_event_t *ev) {
	const char *v = (const char *)ev->data.scalar.value;
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

static const char *km_event_what(yaml_event_type_t t) {
	return t == YAML_MAPPING_START_EVENT ? "a mapping" : "a list";
}

/* Handles one parser event; returns 1 at the end of the stream, 0 to go
 * on, -1 on error. */
static int km_load_event(km_loader_t *l, yaml_event_t *ev) {
	km_frame_t *top = l->depth ? &l->stack[l->depth - 1] : NULL;
	const unsigned char *anchor = NULL;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (l->docs++) {
			KM_LERR(l, ev->start_mark,
			        "a second YAML document ('---') is not allowed; put everything in "
			        "one mapping");
			return -1;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		KM_LERR(l, ev->start_mark,
		        "aliases (*%s) are not supported; write the value out in full",
		        (const char *)ev->data.alias.anchor);
		return -1;
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		break;
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		l->depth--;
		return 0;
	default:
		return 0;
	}
	if (anchor) {
		KM_LERR(l, ev->start_mark,
		        "anchors (&%s) are not supported; write the value out in full",
		        (const char *)anchor);
		return -1;
	}

	if (!top) {
		/* the document's top node */
		if (ev->type != YAML_MAPPING_START_EVENT) {
			if (ev->type == YAML_SCALAR_EVENT && km_is_null(ev))
				KM_LERR(l, ev->start_mark,
				        "the file holds no settings; it must be a mapping of keys "
				        "(key: value)");
			else
				KM_LERR(l, ev->start_mark,
				        "the top level is %s; it must be a mapping of keys (key: "
				        "value)",
				        ev->type == YAML_SCALAR_EVENT ? "a scalar"
				                                      : km_event_what(ev->type));
			return -1;
		}
		l->root = km_node_new(l, KM_NODE_MAP, &ev->start_mark);
		if (!l->root)
			return -1;
		l->stack[l->depth++] = (km_frame_t){.node = l->root};
		return 0;
	}

	int is_key = top->node->type == KM_NODE_MAP && !top->key;
	if (ev->type == YAML_SCALAR_EVENT) {
		const char *text = (const char *)ev->data.scalar.value;
		size_t len = ev->data.scalar.length;
		km_node_t *n = km_node_new(l, KM_NODE_SCALAR, &ev->start_mark);
		if (!n)
			return -1;
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		if (is_key) {
			if (strlen(text) != len) {
				KM_LERR(l, ev->start_mark, "a key holds a NUL character");
				km_node_free(n);
				return -1;
			}
			n->scalar = strdup(text);
			if (!n->scalar) {
				KM_LERR(l, ev->start_mark, "out of memory");
				km_node_free(n);
				return -1;
			}
			const km_node_t *first = km_node_key(top->node, n->scalar);
			if (first) {
				km_node_err(l->errstr, l->errstr_size, n,
				            "key '%s' appears twice (first at %d:%d)", n->scalar,
				            first->line, first->col);
				km_node_free(n);
				return -1;
			}
			top->key = n;
			return 0;
		}
		const char *name = top->node->type == KM_NODE_MAP ? top->key->scalar : top->name;
		if (km_is_null(ev)) {
			n->null = 1;
			n->scalar = strdup("");
		} else {
			if (strlen(text) != len) {
				km_ref_err(l, &ev->start_mark, name,
				           "the value holds a NUL character");
				km_node_free(n);
				return -1;
			}
			n->scalar = km_expand(l, text, len, &ev->start_mark, name, &n->secret);
			if (!n->scalar) {
				km_node_free(n);
				return -1;
			}
		}
		if (!n->scalar) {
			KM_LERR(l, ev->start_mark, "out of memory");
			km_node_free(n);
			return -1;
		}
		if (km_node_append(l, top->node, top->key, n) != KM_OK) {
			km_node_free(n);
			return -1;
		}
		top->key = NULL;
		return 0;
	}

	/* a mapping or a list inside a container */
	if (is_key) {
		KM_LERR(l, ev->start_mark, "a mapping key must be a scalar, not %s",
		        km_event_what(ev->type));
		return -1;
	}
	if (l->depth >= KM_YAML_MAX_DEPTH) {
		KM_LERR(l, ev->start_mark, "nesting is deeper than %d levels", KM_YAML_MAX_DEPTH);
		return -1;
	}
	km_node_t *n = km_node_new(
	    l, ev->type == YAML_MAPPING_START_EVENT ? KM_NODE_MAP : KM_NODE_SEQ, &ev->start_mark);
	if (!n)
		return -1;
	const char *name = top->node->type == KM_NODE_MAP ? top->key->scalar : top->name;
	if (km_node_append(l, top->node, top->key, n) != KM_OK) {
		km_node_free(n);
		return -1;
	}
	top->key = NULL;
	l->stack[l->depth++] = (km_frame_t){.node = n, .name = name};
	return 0;
}

static km_node_t *km_yaml_parse(const char *name, const char *dir, const char *text, size_t len,
                                char *errstr, size_t errstr_size) {
	yaml_parser_t parser;
	km_loader_t *l = calloc(1, sizeof(*l));
	char *file = strdup(name);
	km_node_t *root = NULL;
	int done = 0;

	if (!l || !file) {
		snprintf(errstr, errstr_size, "%s: out of memory", name);
		free(l);
		free(file);
		return NULL;
	}
	l->file = file;
	l->dir = dir;
	l->errstr = errstr;
	l->errstr_size = errstr_size;

	if (!yaml_parser_initialize(&parser)) {
		snprintf(errstr, errstr_size, "%s: out of memory", name);
		goto out;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR) {
				snprintf(errstr, errstr_size, "%s: out of memory", name);
			} else if (parser.error == YAML_READER_ERROR) {
				snprintf(errstr, errstr_size, "%s: YAML error at byte %zu: %s",
				         name, parser.problem_offset,
				         parser.problem ? parser.problem : "unreadable input");
			} else {
				KM_LERR(l, parser.problem_mark, "YAML syntax error: %s",
				        parser.problem ? parser.problem : "unknown problem");
				if (parser.context)
					km_errcat(errstr, errstr_size, " (%s at %d:%d)",
					          parser.context, (int)parser.context_mark.line + 1,
					          (int)parser.context_mark.column + 1);
			}
			break;
		}
		int r = km_load_event(l, &ev);
		yaml_event_delete(&ev);
		if (r < 0)
			break;
		done = r;
	}
	yaml_parser_delete(&parser);
	if (done && !l->root)
		snprintf(
		    errstr, errstr_size,
		    "%s:1:1: the file holds no settings; it must be a mapping of keys (key: value)",
		    name);
	else if (done)
		root = l->root;
out:
	for (size_t i = 0; i < l->depth; i++)
		km_node_free(l->stack[i].key);
	if (root) {
		root->file_buf = file;
	} else {
		km_node_free(l->root);
		free(file);
	}
	free(l);
	return root;
}

km_node_t *km_yaml_load_string(const char *name, const char *text, char *errstr,
                               size_t errstr_size) {
	return km_yaml_parse(name, NULL, text, strlen(text), errstr, errstr_size);
}

km_node_t *km_yaml_load(const char *path, char *errstr, size_t errstr_size) {
	char *text = NULL, *dir = NULL;
	size_t len = 0;
	km_node_t *root = NULL;
	int err = km_read_file(path, &text, &len);

	if (err == EINVAL) {
		snprintf(errstr, errstr_size, "%s: the file holds a NUL byte; it must be YAML text",
		         path);
		return NULL;
	} else if (err) {
		snprintf(errstr, errstr_size, "%s: cannot be read: %s", path, strerror(err));
		return NULL;
	}
	const char *slash = strrchr(path, '/');
	if (slash) {
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
		if (!dir) {
			snprintf(errstr, errstr_size, "%s: out of memory", path);
			goto out;
		}
	}
	root = km_yaml_parse(path, dir, text, len, errstr, errstr_size);
out:
	free(dir);
	free(text);
	return root;
}
