/* The YAML configuration tree (libyaml's event API) and the binding of
 * km_param_t schemas to it. */
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

#include "conf.h"

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

static int km_buf_add(km_buf_t *b, const char *s, size_t n) {
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
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

/* Appends to a NUL-terminated message, truncating at errstr_size. */
static void km_errcat(char *errstr, size_t errstr_size, const char *fmt, ...) KM_PRINTF(3, 4);

static void km_errcat(char *errstr, size_t errstr_size, const char *fmt, ...) {
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

/* Appends @p key (NULL in a list) and @p val to container @p c. */
static int km_node_append(km_loader_t *l, km_node_t *c, km_node_t *key, km_node_t *val) {
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
	return 0;
nomem:
	km_node_err(l->errstr, l->errstr_size, val, "out of memory");
	return -1;
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
		if (km_buf_add(&b, chunk, (size_t)r)) {
			err = ENOMEM;
			break;
		}
	}
	close(fd);
	if (!err && !b.p && km_buf_add(&b, "", 0))
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
	if (km_buf_add(&b, "", 0))
		goto nomem;
	while (i < len) {
		const char *dollar = memchr(text + i, '$', len - i);
		if (!dollar) {
			if (km_buf_add(&b, text + i, len - i))
				goto nomem;
			break;
		}
		size_t d = (size_t)(dollar - text);
		if (km_buf_add(&b, text + i, d - i))
			goto nomem;
		if (d + 2 < len && text[d + 1] == '$' && text[d + 2] == '{') {
			if (km_buf_add(&b, "${", 2))
				goto nomem;
			i = d + 3;
			continue;
		}
		if (d + 1 >= len || text[d + 1] != '{') {
			if (km_buf_add(&b, "$", 1))
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
			if (km_buf_add(&b, v, strlen(v)))
				goto nomem;
		} else if (rlen > 5 && !strncmp(ref, "file:", 5)) {
			char *path = strndup(ref + 5, rlen - 5);
			char *full = NULL, *data = NULL;
			size_t dlen = 0;
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
			err = km_buf_add(&b, data, dlen);
			explicit_bzero(data, dlen);
			free(data);
			if (err)
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
		if (km_node_append(l, top->node, top->key, n)) {
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
	if (km_node_append(l, top->node, top->key, n)) {
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

/* ------------------------------------------------------------------------ */
/* Parameters                                                                */
/* ------------------------------------------------------------------------ */

typedef struct km_pval {
	const km_param_t *param;
	const km_node_t *node; /* NULL: the default applies */
	char *str;             /* STRING, ENUM */
	int64_t num;           /* INT, BOOL, DURATION, SIZE */
	char **items;          /* LIST */
	size_t item_cnt;
} km_pval_t;

struct km_params {
	const km_param_t *schema;
	km_pval_t *vals;
	size_t cnt;
};

static const char *km_type_word(km_param_type_t t) {
	switch (t) {
	case KM_PARAM_STRING:
		return "string";
	case KM_PARAM_INT:
		return "integer";
	case KM_PARAM_BOOL:
		return "boolean";
	case KM_PARAM_ENUM:
		return "enum";
	case KM_PARAM_LIST:
		return "list";
	case KM_PARAM_DURATION:
		return "duration";
	case KM_PARAM_SIZE:
		return "size";
	}
	return "?";
}

static void km_fmt_duration(char *buf, size_t size, int64_t ms) {
	if (ms && ms % 3600000 == 0)
		snprintf(buf, size, "%" PRId64 "h", ms / 3600000);
	else if (ms && ms % 60000 == 0)
		snprintf(buf, size, "%" PRId64 "m", ms / 60000);
	else if (ms && ms % 1000 == 0)
		snprintf(buf, size, "%" PRId64 "s", ms / 1000);
	else
		snprintf(buf, size, "%" PRId64 "ms", ms);
}

static void km_fmt_size(char *buf, size_t size, int64_t b) {
	if (b && b % (1024 * 1024 * 1024) == 0)
		snprintf(buf, size, "%" PRId64 "GB", b / (1024 * 1024 * 1024));
	else if (b && b % (1024 * 1024) == 0)
		snprintf(buf, size, "%" PRId64 "MB", b / (1024 * 1024));
	else if (b && b % 1024 == 0)
		snprintf(buf, size, "%" PRId64 "KB", b / 1024);
	else
		snprintf(buf, size, "%" PRId64 "B", b);
}

static void km_fmt_num(const km_param_t *pd, char *buf, size_t size, int64_t v) {
	if (pd->type == KM_PARAM_DURATION)
		km_fmt_duration(buf, size, v);
	else if (pd->type == KM_PARAM_SIZE)
		km_fmt_size(buf, size, v);
	else
		snprintf(buf, size, "%" PRId64, v);
}

/* "must be between MIN and MAX" / "must be at least MIN"; "" without range. */
static void km_fmt_range(const km_param_t *pd, char *buf, size_t size) {
	char lo[32], hi[32];

	buf[0] = '\0';
	if (pd->min == 0 && pd->max == 0)
		return;
	km_fmt_num(pd, lo, sizeof(lo), pd->min);
	km_fmt_num(pd, hi, sizeof(hi), pd->max);
	if (pd->max == INT64_MAX)
		snprintf(buf, size, "must be at least %s", lo);
	else if (pd->min == INT64_MIN)
		snprintf(buf, size, "must be at most %s", hi);
	else
		snprintf(buf, size, "must be between %s and %s", lo, hi);
}

/* The enum's choices, "a|b" written "a, b". */
static void km_fmt_choices(const km_param_t *pd, char *errstr, size_t errstr_size) {
	const char *c = pd->choices;
	while (*c) {
		size_t n = strcspn(c, "|");
		km_errcat(errstr, errstr_size, "%.*s", (int)n, c);
		c += n;
		if (*c == '|') {
			c++;
			km_errcat(errstr, errstr_size, ", ");
		}
	}
}

/* What a value of @p pd must look like, appended to errstr. */
static void km_expect(const km_param_t *pd, char *errstr, size_t errstr_size) {
	char range[128];

	km_fmt_range(pd, range, sizeof(range));
	switch (pd->type) {
	case KM_PARAM_STRING:
		km_errcat(errstr, errstr_size, "give a text value");
		break;
	case KM_PARAM_INT:
		km_errcat(errstr, errstr_size, "give a whole number%s%s", *range ? " that " : "",
		          range);
		break;
	case KM_PARAM_BOOL:
		km_errcat(errstr, errstr_size, "give true or false");
		break;
	case KM_PARAM_ENUM:
		km_errcat(errstr, errstr_size, "use one of ");
		km_fmt_choices(pd, errstr, errstr_size);
		break;
	case KM_PARAM_LIST:
		km_errcat(errstr, errstr_size, "give a list ([a, b]) or a comma-separated text");
		break;
	case KM_PARAM_DURATION:
		km_errcat(errstr, errstr_size,
		          "give a whole number with a unit: ms, s, m or h (e.g. 250ms, 5s)%s%s",
		          *range ? "; it " : "", range);
		break;
	case KM_PARAM_SIZE:
		km_errcat(errstr, errstr_size,
		          "give a number of bytes, optionally with a unit: B, KB, MB, GB (e.g. "
		          "64MB)%s%s",
		          *range ? "; it " : "", range);
		break;
	}
}

static int km_parse_int64(const char *s, int64_t *out) {
	char *end;
	if (!*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* Digits then a unit; returns the unit (NULL when there are no digits or
 * the number overflows). */
static const char *km_parse_uint_unit(const char *s, int64_t *out) {
	int64_t v = 0;
	const char *p = s;
	if (!isdigit((unsigned char)*p))
		return NULL;
	for (; isdigit((unsigned char)*p); p++) {
		int d = *p - '0';
		if (v > (INT64_MAX - d) / 10)
			return NULL;
		v = v * 10 + d;
	}
	*out = v;
	return p;
}

static int km_mul(int64_t v, int64_t m, int64_t *out) {
	if (v > INT64_MAX / m)
		return -1;
	*out = v * m;
	return 0;
}

/* Parses scalar @p text for @p pd into @p v. On error fills errstr with
 * "key 'x': ..." (the caller adds the position). */
static int km_param_parse(const km_param_t *pd, const char *text, int secret, km_pval_t *v,
                          char *errstr, size_t errstr_size) {
	char range[128];
	int64_t num = 0;

	secret = secret || (pd->flags & KM_PARAM_F_SENSITIVE);
	km_fmt_range(pd, range, sizeof(range));
	switch (pd->type) {
	case KM_PARAM_STRING:
		v->str = strdup(text);
		if (!v->str)
			goto nomem;
		return 0;
	case KM_PARAM_ENUM: {
		const char *c = pd->choices;
		size_t tlen = strlen(text);
		while (*c) {
			size_t n = strcspn(c, "|");
			if (n == tlen && !strncmp(c, text, n)) {
				v->str = strdup(text);
				if (!v->str)
					goto nomem;
				return 0;
			}
			c += n;
			if (*c == '|')
				c++;
		}
		km_errcat(errstr, errstr_size, "key '%s': " KM_SHOW_FMT " is not allowed; ",
		          pd->name, KM_SHOW_IF(text, secret));
		km_expect(pd, errstr, errstr_size);
		return -1;
	}
	case KM_PARAM_BOOL:
		if (!strcasecmp(text, "true") || !strcasecmp(text, "yes") ||
		    !strcasecmp(text, "on")) {
			v->num = 1;
			return 0;
		}
		if (!strcasecmp(text, "false") || !strcasecmp(text, "no") ||
		    !strcasecmp(text, "off")) {
			v->num = 0;
			return 0;
		}
		km_errcat(errstr, errstr_size,
		          "key '%s': " KM_SHOW_FMT " is not a boolean; use true or false (yes/no "
		          "and on/off also work)",
		          pd->name, KM_SHOW_IF(text, secret));
		return -1;
	case KM_PARAM_INT:
		if (km_parse_int64(text, &num)) {
			km_errcat(errstr, errstr_size,
			          "key '%s': " KM_SHOW_FMT " is not a whole number", pd->name,
			          KM_SHOW_IF(text, secret));
			if (*range)
				km_errcat(errstr, errstr_size, "; it %s", range);
			return -1;
		}
		break;
	case KM_PARAM_DURATION: {
		const char *unit = km_parse_uint_unit(text, &num);
		int64_t mul = 0;
		if (unit && !*unit) {
			km_errcat(errstr, errstr_size,
			          "key '%s': " KM_SHOW_FMT
			          " has no unit; add a unit: ms, s, m or h "
			          "(e.g. 250ms, 5s, 10m, 1h)",
			          pd->name, KM_SHOW_IF(text, secret));
			return -1;
		}
		if (unit) {
			if (!strcmp(unit, "ms"))
				mul = 1;
			else if (!strcmp(unit, "s"))
				mul = 1000;
			else if (!strcmp(unit, "m"))
				mul = 60000;
			else if (!strcmp(unit, "h"))
				mul = 3600000;
		}
		if (!mul || km_mul(num, mul, &num)) {
			km_errcat(errstr, errstr_size,
			          "key '%s': " KM_SHOW_FMT " is not a duration; ", pd->name,
			          KM_SHOW_IF(text, secret));
			km_expect(pd, errstr, errstr_size);
			return -1;
		}
		break;
	}
	case KM_PARAM_SIZE: {
		const char *unit = km_parse_uint_unit(text, &num);
		int64_t mul = 0;
		if (unit) {
			while (*unit == ' ')
				unit++;
			if (!*unit || !strcasecmp(unit, "B"))
				mul = 1;
			else if (!strcasecmp(unit, "KB") || !strcasecmp(unit, "KiB"))
				mul = 1024;
			else if (!strcasecmp(unit, "MB") || !strcasecmp(unit, "MiB"))
				mul = 1024 * 1024;
			else if (!strcasecmp(unit, "GB") || !strcasecmp(unit, "GiB"))
				mul = 1024 * 1024 * 1024;
		}
		if (!mul || km_mul(num, mul, &num)) {
			km_errcat(errstr, errstr_size, "key '%s': " KM_SHOW_FMT " is not a size; ",
			          pd->name, KM_SHOW_IF(text, secret));
			km_expect(pd, errstr, errstr_size);
			return -1;
		}
		break;
	}
	case KM_PARAM_LIST: {
		/* a comma-separated scalar: items trimmed, empty ones dropped */
		const char *p = text;
		for (;;) {
			size_t n = strcspn(p, ",");
			const char *s = p, *e = p + n;
			while (s < e && isspace((unsigned char)*s))
				s++;
			while (e > s && isspace((unsigned char)e[-1]))
				e--;
			if (e > s) {
				char **items =
				    realloc(v->items, (v->item_cnt + 1) * sizeof(*items));
				if (!items)
					goto nomem;
				v->items = items;
				v->items[v->item_cnt] = strndup(s, (size_t)(e - s));
				if (!v->items[v->item_cnt])
					goto nomem;
				v->item_cnt++;
			}
			if (!p[n])
				break;
			p += n + 1;
		}
		return 0;
	}
	}
	/* INT, DURATION, SIZE: the range */
	if ((pd->min || pd->max) && (num < pd->min || num > pd->max)) {
		km_errcat(errstr, errstr_size, "key '%s': " KM_SHOW_FMT " is out of range; it %s",
		          pd->name, KM_SHOW_IF(text, secret), range);
		return -1;
	}
	v->num = num;
	return 0;
nomem:
	km_errcat(errstr, errstr_size, "key '%s': out of memory", pd->name);
	return -1;
}

static void km_pval_clear(km_pval_t *v) {
	free(v->str);
	v->str = NULL;
	for (size_t i = 0; i < v->item_cnt; i++)
		free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->item_cnt = 0;
	v->num = 0;
}

/* Binds the value node @p n (of key node @p k) to @p v. */
static int km_param_bind_node(const km_param_t *pd, const km_node_t *k, const km_node_t *n,
                              km_pval_t *v, char *errstr, size_t errstr_size) {
	if (n->type == KM_NODE_SCALAR && n->null) {
		km_node_err(errstr, errstr_size, k, "key '%s' has no value; ", pd->name);
		km_expect(pd, errstr, errstr_size);
		return -1;
	}
	if (n->type == KM_NODE_SEQ && pd->type == KM_PARAM_LIST) {
		v->items = calloc(n->cnt ? n->cnt : 1, sizeof(*v->items));
		if (!v->items) {
			km_node_err(errstr, errstr_size, n, "out of memory");
			return -1;
		}
		for (size_t i = 0; i < n->cnt; i++) {
			const km_node_t *it = n->vals[i];
			if (it->type != KM_NODE_SCALAR || it->null) {
				km_node_err(errstr, errstr_size, it,
				            "key '%s': item %zu is %s; the items must be text",
				            pd->name, i + 1, km_node_type_name(it));
				return -1;
			}
			v->items[i] = strdup(it->scalar);
			if (!v->items[i]) {
				km_node_err(errstr, errstr_size, it, "out of memory");
				return -1;
			}
			v->item_cnt++;
		}
		return 0;
	}
	if (n->type != KM_NODE_SCALAR) {
		km_node_err(errstr, errstr_size, n, "key '%s' is %s; ", pd->name,
		            km_node_type_name(n));
		km_expect(pd, errstr, errstr_size);
		return -1;
	}
	km_node_err(errstr, errstr_size, n, "%s", "");
	if (km_param_parse(pd, n->scalar, n->secret, v, errstr, errstr_size))
		return -1;
	return 0;
}

static void km_param_default(const km_param_t *pd, km_pval_t *v) {
	char err[512] = "";

	if (!pd->def)
		return;
	if (km_param_parse(pd, pd->def, 0, v, err, sizeof(err))) {
		fprintf(stderr, "kmirror: bug: the default '%s' of parameter '%s' is invalid: %s\n",
		        pd->def, pd->name, err);
		abort();
	}
}

static int km_in(const char *const *list, const char *s) {
	for (; list && *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

static const km_param_t *km_schema_find(const km_param_t *schema, const char *name, size_t *idx) {
	for (size_t i = 0; schema && schema[i].name; i++)
		if (!strcmp(schema[i].name, name)) {
			if (idx)
				*idx = i;
			return &schema[i];
		}
	return NULL;
}

km_params_t *km_params_bind_at(const km_param_t *schema, const km_node_t *map, const km_node_t *at,
                               const char *where, const char *const *ignore, char *errstr,
                               size_t errstr_size) {
	km_params_t *p = calloc(1, sizeof(*p));
	size_t cnt = 0;

	if (!p)
		goto nomem;
	while (schema && schema[cnt].name)
		cnt++;
	p->schema = schema;
	p->cnt = cnt;
	p->vals = calloc(cnt ? cnt : 1, sizeof(*p->vals));
	if (!p->vals)
		goto nomem;
	for (size_t i = 0; i < cnt; i++) {
		const km_param_t *pd = &schema[i];
		p->vals[i].param = pd;
		if (pd->type == KM_PARAM_ENUM && !pd->choices) {
			fprintf(stderr, "kmirror: bug: enum parameter '%s' has no choices\n",
			        pd->name);
			abort();
		}
		km_param_default(pd, &p->vals[i]);
	}
	if (map && map->type != KM_NODE_MAP) {
		km_node_err(errstr, errstr_size, map, "%s must be a mapping (key: value), not %s",
		            where, km_node_type_name(map));
		goto fail;
	}
	if (map)
		at = map;

	for (size_t k = 0; map && k < map->cnt; k++) {
		const km_node_t *key = map->keys[k];
		size_t idx = 0;
		if (km_in(ignore, key->scalar))
			continue;
		const km_param_t *pd = km_schema_find(schema, key->scalar, &idx);
		if (!pd) {
			const char *sep = "";
			km_node_err(errstr, errstr_size, key,
			            "key '%s' is not known in %s; allowed keys: ", key->scalar,
			            where);
			for (const char *const *ig = ignore; ig && *ig; ig++, sep = ", ")
				km_errcat(errstr, errstr_size, "%s%s", sep, *ig);
			for (size_t i = 0; i < cnt; i++, sep = ", ")
				km_errcat(errstr, errstr_size, "%s%s", sep, schema[i].name);
			if (!*sep)
				km_errcat(errstr, errstr_size, "none");
			goto fail;
		}
		km_pval_t *v = &p->vals[idx];
		km_pval_clear(v);
		if (km_param_bind_node(pd, key, map->vals[k], v, errstr, errstr_size))
			goto fail;
		v->node = map->vals[k];
	}
	for (size_t i = 0; i < cnt; i++) {
		const km_param_t *pd = &schema[i];
		if ((pd->flags & KM_PARAM_F_REQUIRED) && !p->vals[i].node) {
			km_node_err(errstr, errstr_size, at, "%s: key '%s' is required", where,
			            pd->name);
			if (pd->doc)
				km_errcat(errstr, errstr_size, " (%s)", pd->doc);
			goto fail;
		}
	}
	return p;
nomem:
	snprintf(errstr, errstr_size, "%s: out of memory", where);
fail:
	km_params_destroy(p);
	return NULL;
}

km_params_t *km_params_bind(const km_param_t *schema, const km_node_t *map, const char *where,
                            const char *const *ignore, char *errstr, size_t errstr_size) {
	return km_params_bind_at(schema, map, map, where, ignore, errstr, errstr_size);
}

void km_params_destroy(km_params_t *p) {
	if (!p)
		return;
	for (size_t i = 0; p->vals && i < p->cnt; i++) {
		km_pval_t *v = &p->vals[i];
		if (v->str && (v->param->flags & KM_PARAM_F_SENSITIVE))
			explicit_bzero(v->str, strlen(v->str));
		km_pval_clear(v);
	}
	free(p->vals);
	free(p);
}

static const km_pval_t *km_params_get(const km_params_t *p, const char *name, int t1, int t2,
                                      int t3) {
	size_t idx;
	const km_param_t *pd = p ? km_schema_find(p->schema, name, &idx) : NULL;
	if (!pd) {
		fprintf(stderr, "kmirror: bug: parameter '%s' is not in the schema\n", name);
		abort();
	}
	if (t1 && (int)pd->type != t1 && (int)pd->type != t2 && (int)pd->type != t3) {
		fprintf(stderr, "kmirror: bug: parameter '%s' is a %s, read as another type\n",
		        name, km_type_word(pd->type));
		abort();
	}
	return &p->vals[idx];
}

const char *km_params_str(const km_params_t *p, const char *name) {
	return km_params_get(p, name, KM_PARAM_STRING, KM_PARAM_ENUM, KM_PARAM_ENUM)->str;
}

int64_t km_params_int(const km_params_t *p, const char *name) {
	return km_params_get(p, name, KM_PARAM_INT, KM_PARAM_DURATION, KM_PARAM_SIZE)->num;
}

int km_params_bool(const km_params_t *p, const char *name) {
	return (int)km_params_get(p, name, KM_PARAM_BOOL, KM_PARAM_BOOL, KM_PARAM_BOOL)->num;
}

size_t km_params_list(const km_params_t *p, const char *name, const char *const **items) {
	const km_pval_t *v = km_params_get(p, name, KM_PARAM_LIST, KM_PARAM_LIST, KM_PARAM_LIST);
	if (items)
		*items = (const char *const *)v->items;
	return v->item_cnt;
}

int km_params_isset(const km_params_t *p, const char *name) {
	return km_params_get(p, name, 0, 0, 0)->node != NULL;
}

const km_node_t *km_params_node(const km_params_t *p, const char *name) {
	return km_params_get(p, name, 0, 0, 0)->node;
}

void km_params_help(const km_param_t *schema, FILE *fp) {
	for (size_t i = 0; schema && schema[i].name; i++) {
		const km_param_t *pd = &schema[i];
		char range[128];
		char buf[1024] = "";

		km_fmt_range(pd, range, sizeof(range));
		if (pd->flags & KM_PARAM_F_REQUIRED)
			km_errcat(buf, sizeof(buf), "required");
		else if (pd->def && (pd->flags & KM_PARAM_F_SENSITIVE))
			km_errcat(buf, sizeof(buf), "default: (secret)");
		else if (pd->def)
			km_errcat(buf, sizeof(buf), "default: %s", pd->def);
		else
			km_errcat(buf, sizeof(buf), "optional");
		if (*range)
			km_errcat(buf, sizeof(buf), "; %s", range);
		if (pd->type == KM_PARAM_ENUM) {
			km_errcat(buf, sizeof(buf), "; one of ");
			km_fmt_choices(pd, buf, sizeof(buf));
		}
		if (pd->flags & KM_PARAM_F_SENSITIVE)
			km_errcat(buf, sizeof(buf), "; secret");
		fprintf(fp, "  %-28s %-8s %s. %s\n", pd->name, km_type_word(pd->type), buf,
		        pd->doc ? pd->doc : "");
	}
}
