/* JSON for Lua scripts (see json.h and json.md).
 *
 * One validating scanner reads every text: it walks the document once,
 * builds no Lua values, and on the way notes where the value at a path
 * starts and ends, where its parent object or array is, and what remove
 * would cut. decode and get then build Lua values from text the scanner
 * has already accepted, so the builder needs no error paths; set and
 * remove splice the original text around those offsets.
 *
 * Memory: every growing buffer is a full userdata with a __gc, allocated
 * with the state's own allocator (so the stage's memory cap applies), so an
 * error raised anywhere (out of memory) leaks nothing. */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "json.h"

#define JSON_MAX_DEPTH KM_LUA_JSON_MAX_DEPTH
#define JSON_ARRAY_MT  "kmirror.json.array"
#define JSON_OBJECT_MT "kmirror.json.object"
#define JSON_BUF_MT    "kmirror.json.buffer"
#define JSON_NONE      SIZE_MAX

/*
 * Growing byte buffers owned by the Lua state.
 */

typedef struct jbuf {
	char *jb_data;
	size_t jb_len, jb_cap;
	lua_Alloc jb_alloc;
	void *jb_ud;
} jbuf_t;

static void jbuf_free(jbuf_t *jb) {
	if (jb->jb_data)
		jb->jb_alloc(jb->jb_ud, jb->jb_data, jb->jb_cap, 0);
	jb->jb_data = NULL;
	jb->jb_len = jb->jb_cap = 0;
}

static int jbuf_gc(lua_State *L) {
	jbuf_free(luaL_checkudata(L, 1, JSON_BUF_MT));
	return 0;
}

/* Pushes a new, empty buffer; the stack slot owns it. */
static jbuf_t *jbuf_new(lua_State *L) {
	jbuf_t *jb = lua_newuserdatauv(L, sizeof(*jb), 0);

	memset(jb, 0, sizeof(*jb));
	jb->jb_alloc = lua_getallocf(L, &jb->jb_ud);
	luaL_setmetatable(L, JSON_BUF_MT);
	return jb;
}

/* Room for @p more bytes, or an error raised in L. */
static void jbuf_grow(lua_State *L, jbuf_t *jb, size_t more) {
	size_t cap;
	void *data;

	if (jb->jb_cap - jb->jb_len >= more)
		return;
	if (more > SIZE_MAX / 4 - jb->jb_len)
		luaL_error(L, "json: text too large");
	for (cap = jb->jb_cap ? jb->jb_cap : 256; cap - jb->jb_len < more; cap *= 2)
		;
	if (!(data = jb->jb_alloc(jb->jb_ud, jb->jb_data, jb->jb_cap, cap)))
		luaL_error(L, "json: not enough memory");
	jb->jb_data = data;
	jb->jb_cap = cap;
}

static void jbuf_add(lua_State *L, jbuf_t *jb, const void *p, size_t n) {
	jbuf_grow(L, jb, n);
	memcpy(jb->jb_data + jb->jb_len, p, n);
	jb->jb_len += n;
}

static void jbuf_addstr(lua_State *L, jbuf_t *jb, const char *s) {
	jbuf_add(L, jb, s, strlen(s));
}

/*
 * Text: UTF-8 and escapes, shared by the scanner, the builder and the
 * encoder.
 */

static int hex4(const unsigned char *p, size_t avail, unsigned *cpp) {
	unsigned v = 0;

	if (avail < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned c = p[i] | 0x20;

		if (p[i] >= '0' && p[i] <= '9')
			v = v << 4 | (unsigned)(p[i] - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (c - 'a' + 10);
		else
			return -1;
	}
	*cpp = v;
	return 0;
}

/* The length of the valid UTF-8 sequence at @p p (p[0] >= 0x80), 0 if there
 * is none. With @p surrogates, U+D800..U+DFFF count as valid (WTF-8: how
 * decode keeps a lone \uD800 escape, so that encode can write it back). */
static size_t utf8_seq(const unsigned char *p, size_t avail, int surrogates) {
	unsigned c = p[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed && !surrogates)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static size_t utf8_put(unsigned cp, unsigned char *out) {
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

static int is_high(unsigned cp) {
	return cp >= 0xd800 && cp <= 0xdbff;
}

static int is_low(unsigned cp) {
	return cp >= 0xdc00 && cp <= 0xdfff;
}

/* The bytes of the escape at t[*ip] ('\\') of a string the scanner
 * accepted, into @p out; moves *ip past it. A surrogate pair is one
 * character; a lone surrogate becomes its WTF-8 bytes. */
static size_t unescape(const unsigned char *t, size_t *ip, unsigned char out[4]) {
	const unsigned char *p = t + *ip;
	unsigned cp = 0, lo;

	*ip += 2;
	switch (p[1]) {
	case 'b':
		out[0] = '\b';
		return 1;
	case 'f':
		out[0] = '\f';
		return 1;
	case 'n':
		out[0] = '\n';
		return 1;
	case 'r':
		out[0] = '\r';
		return 1;
	case 't':
		out[0] = '\t';
		return 1;
	case 'u':
		break;
	default: /* '"', '\\', '/' */
		out[0] = p[1];
		return 1;
	}
	(void)hex4(p + 2, 4, &cp);
	*ip += 4;
	/* a scanned string ends in '"', so p[6] exists; p[7] exists after a
	 * '\\', and four hex digits after "\\u" */
	if (is_high(cp) && p[6] == '\\' && p[7] == 'u' && !hex4(p + 8, 4, &lo) && is_low(lo)) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		*ip += 6;
	}
	return utf8_put(cp, out);
}

/*
 * Paths.
 */

typedef struct jcomp {
	const char *jc_key; /* an object key, NULL for an index only */
	size_t jc_keylen;
	lua_Integer jc_index; /* an array index from 1, 0 for a key only */
} jcomp_t;

/* Reads the path argument at @p arg into an array it pushes (a userdata);
 * the keys point into strings @p arg keeps alive. A bad path is the
 * script's mistake: an error is raised. */
static int path_parse(lua_State *L, int arg, const char *fname, jcomp_t **compsp) {
	jcomp_t *comps;
	int n = 0;

	if (lua_type(L, arg) == LUA_TSTRING) {
		size_t plen, i, from = 0;
		const char *p = lua_tolstring(L, arg, &plen);

		n = 1;
		for (i = 0; i < plen; i++)
			if (p[i] == '.' && ++n > JSON_MAX_DEPTH)
				return luaL_error(L, "%s: the path has more than %d elements",
				                  fname, JSON_MAX_DEPTH);
		comps = lua_newuserdatauv(L, (size_t)n * sizeof(*comps), 0);
		n = 0;
		for (i = 0; i <= plen; i++) {
			jcomp_t *c;
			size_t k;

			if (i < plen && p[i] != '.')
				continue;
			c = &comps[n++];
			c->jc_key = p + from;
			c->jc_keylen = i - from;
			c->jc_index = 0;
			/* decimal digits without a leading zero: also an index */
			for (k = 0; k < c->jc_keylen && k < 18 && c->jc_key[k] >= '0' &&
			            c->jc_key[k] <= '9';
			     k++)
				c->jc_index = c->jc_index * 10 + (c->jc_key[k] - '0');
			if (k == 0 || k != c->jc_keylen || c->jc_key[0] == '0')
				c->jc_index = 0;
			from = i + 1;
		}
	} else if (lua_type(L, arg) == LUA_TTABLE) {
		lua_Unsigned len = lua_rawlen(L, arg);

		if (len > JSON_MAX_DEPTH)
			return luaL_error(L, "%s: the path has more than %d elements", fname,
			                  JSON_MAX_DEPTH);
		n = (int)len;
		comps = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof(*comps), 0);
		for (int i = 0; i < n; i++) {
			int isint = 0;

			memset(&comps[i], 0, sizeof(comps[i]));
			lua_rawgeti(L, arg, i + 1);
			if (lua_type(L, -1) == LUA_TSTRING) {
				comps[i].jc_key = lua_tolstring(L, -1, &comps[i].jc_keylen);
			} else if (lua_type(L, -1) == LUA_TNUMBER) {
				comps[i].jc_index = lua_tointegerx(L, -1, &isint);
				if (!isint || comps[i].jc_index < 1)
					return luaL_error(L,
					                  "%s: path element %d is %s; an array "
					                  "index is an integer from 1",
					                  fname, i + 1, lua_tostring(L, -1));
			} else {
				return luaL_error(L,
				                  "%s: path element %d is a %s; a string key or "
				                  "an integer index (from 1) is expected",
				                  fname, i + 1, luaL_typename(L, -1));
			}
			/* the string stays alive in the path table */
			lua_pop(L, 1);
		}
	} else {
		return luaL_typeerror(L, arg, "string or table path");
	}
	*compsp = comps;
	return n;
}

/* "\"key\"" or "[3]", for messages. */
static void path_elem(const jcomp_t *c, char *buf, size_t size) {
	if (c->jc_key)
		snprintf(buf, size, "\"%.*s%s\"", (int)(c->jc_keylen > 60 ? 60 : c->jc_keylen),
		         c->jc_key, c->jc_keylen > 60 ? "..." : "");
	else
		snprintf(buf, size, "[%lld]", (long long)c->jc_index);
}

/*
 * The scanner: validates a whole text and, on the way, finds a path.
 */

/* A member (or element) that remove cuts out. */
typedef struct jspan {
	size_t js_start, js_end; /* its key (or value) start .. its value end */
	size_t js_comma;         /* the ',' before it, JSON_NONE for the first */
	size_t js_next;          /* where the member after it starts, or JSON_NONE */
	int js_kept_before;      /* a member that stays comes before it */
} jspan_t;

typedef struct jscan {
	lua_State *s_L;
	const unsigned char *s_text;
	size_t s_len, s_pos;
	const char *s_err; /* what is wrong, NULL while all is well */
	size_t s_err_pos;
	int s_err_byte; /* the message names the byte at s_err_pos */

	const jcomp_t *s_comps; /* the path looked for */
	int s_ncomps;
	int s_reached;       /* the path elements found, for messages */
	char s_reached_type; /* the first byte of the value there */

	/* the value at the whole path; with duplicate keys, the last */
	int s_found;
	size_t s_vstart, s_vend;

	/* its parent: the object or array at s_ncomps - 1 elements */
	int s_pfound;
	char s_ptype; /* '{' or '[' */
	size_t s_popen;
	lua_Integer s_pcount;
	size_t s_last_lead;   /* after the '{', '[' or ',' before its last member */
	size_t s_last_start;  /* its last member's key (or value) */
	size_t s_last_keyend; /* after that key's closing quote */
	size_t s_last_vstart, s_last_vend;

	jbuf_t *s_spans; /* remove's cuts (jspan_t), NULL unless removing */
} jscan_t;

static int scan_value(jscan_t *s, int depth, int level);

static int scan_fail(jscan_t *s, size_t pos, const char *what, int byte) {
	if (!s->s_err) {
		s->s_err = what;
		s->s_err_pos = pos;
		s->s_err_byte = byte && pos < s->s_len;
	}
	return -1;
}

static void scan_ws(jscan_t *s) {
	while (s->s_pos < s->s_len) {
		unsigned char c = s->s_text[s->s_pos];

		if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
			break;
		s->s_pos++;
	}
}

static int scan_string(jscan_t *s, int *escp) {
	const unsigned char *t = s->s_text;
	size_t start = s->s_pos, len = s->s_len, i = start + 1;
	int esc = 0;

	for (;;) {
		unsigned c = 0;
		size_t n;

		while (i < len && (c = t[i]) >= 0x20 && c < 0x80 && c != '"' && c != '\\')
			i++;
		if (i >= len)
			return scan_fail(s, start, "unterminated string", 0);
		if (c == '"')
			break;
		if (c == '\\') {
			unsigned cp, lo;

			esc = 1;
			if (i + 1 >= len)
				return scan_fail(s, start, "unterminated string", 0);
			switch (t[i + 1]) {
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				i += 2;
				break;
			case 'u':
				if (hex4(t + i + 2, len - i - 2, &cp))
					return scan_fail(
					    s, i, "invalid \\u escape (4 hex digits expected)", 0);
				i += 6;
				if (is_high(cp) && i + 1 < len && t[i] == '\\' && t[i + 1] == 'u' &&
				    !hex4(t + i + 2, len - i - 2, &lo) && is_low(lo))
					i += 6;
				break;
			default:
				return scan_fail(s, i, "invalid escape", 0);
			}
		} else if (c < 0x20) {
			return scan_fail(s, i, "control character in a string (it must be escaped)",
			                 1);
		} else if ((n = utf8_seq(t + i, len - i, 0)) == 0) {
			return scan_fail(s, i, "invalid UTF-8 in a string", 1);
		} else {
			i += n;
		}
	}
	s->s_pos = i + 1;
	if (escp)
		*escp = esc;
	return 0;
}

static int is_digit(const jscan_t *s, size_t i) {
	return i < s->s_len && s->s_text[i] >= '0' && s->s_text[i] <= '9';
}

static int scan_number(jscan_t *s) {
	const unsigned char *t = s->s_text;
	size_t i = s->s_pos;

	if (t[i] == '-')
		i++;
	if (!is_digit(s, i))
		return scan_fail(s, i, "invalid number: a digit expected", 1);
	if (t[i++] == '0') {
		if (is_digit(s, i))
			return scan_fail(s, i - 1, "invalid number: leading zero", 0);
	} else {
		while (is_digit(s, i))
			i++;
	}
	if (i < s->s_len && t[i] == '.') {
		if (!is_digit(s, ++i))
			return scan_fail(s, i, "invalid number: a digit expected after '.'", 1);
		while (is_digit(s, i))
			i++;
	}
	if (i < s->s_len && (t[i] == 'e' || t[i] == 'E')) {
		i++;
		if (i < s->s_len && (t[i] == '+' || t[i] == '-'))
			i++;
		if (!is_digit(s, i))
			return scan_fail(s, i, "invalid number: a digit expected in the exponent",
			                 1);
		while (is_digit(s, i))
			i++;
	}
	s->s_pos = i;
	return 0;
}

static int scan_literal(jscan_t *s, const char *lit, size_t n) {
	if (s->s_len - s->s_pos < n || memcmp(s->s_text + s->s_pos, lit, n) != 0)
		return scan_fail(s, s->s_pos, "invalid literal (true, false or null expected)", 0);
	s->s_pos += n;
	return 0;
}

static int key_equal(const jscan_t *s, size_t start, size_t end, int esc, const jcomp_t *c) {
	const unsigned char *t = s->s_text;
	size_t i = start + 1, stop = end - 1, k = 0;

	if (!esc)
		return stop - i == c->jc_keylen && memcmp(t + i, c->jc_key, c->jc_keylen) == 0;
	while (i < stop) {
		if (t[i] == '\\') {
			unsigned char b[4];
			size_t n = unescape(t, &i, b);

			if (n > c->jc_keylen - k || memcmp(c->jc_key + k, b, n) != 0)
				return 0;
			k += n;
		} else {
			if (k >= c->jc_keylen || (unsigned char)c->jc_key[k] != t[i])
				return 0;
			k++;
			i++;
		}
	}
	return k == c->jc_keylen;
}

static void span_add(jscan_t *s, size_t start, size_t end, size_t comma, int kept_before) {
	jspan_t sp = {start, end, comma, JSON_NONE, kept_before};

	jbuf_add(s->s_L, s->s_spans, &sp, sizeof(sp));
}

/* One object or array: the members at @p level path elements; @p close is
 * '}' or ']'. The caller has checked the depth. */
static int scan_container(jscan_t *s, int depth, int level, char close) {
	const jcomp_t *c = level >= 0 && level < s->s_ncomps ? &s->s_comps[level] : NULL;
	int parent = c && level == s->s_ncomps - 1;
	int object = close == '}', kept = 0, cut = 0;
	size_t comma = JSON_NONE, lead;
	lua_Integer count = 0;

	if (parent) {
		s->s_pfound = 1;
		s->s_ptype = object ? '{' : '[';
		s->s_popen = s->s_pos;
	}
	s->s_pos++;
	lead = s->s_pos;
	scan_ws(s);
	if (s->s_pos < s->s_len && s->s_text[s->s_pos] == close) {
		s->s_pos++;
		goto out;
	}
	for (;;) {
		size_t start = s->s_pos, keyend = start, vstart;
		int match, esc = 0;

		if (object) {
			if (s->s_pos >= s->s_len)
				return scan_fail(s, s->s_pos,
				                 "unexpected end of input in an object", 0);
			if (s->s_text[s->s_pos] != '"')
				return scan_fail(s, s->s_pos, "expected a string key", 1);
			if (scan_string(s, &esc))
				return -1;
			keyend = s->s_pos;
			scan_ws(s);
			if (s->s_pos >= s->s_len || s->s_text[s->s_pos] != ':')
				return scan_fail(s, s->s_pos, "expected ':' after an object key",
				                 1);
			s->s_pos++;
			scan_ws(s);
			match = c && c->jc_key && key_equal(s, start, keyend, esc, c);
		} else {
			match = c && c->jc_index == count + 1;
		}
		if (cut) {
			((jspan_t *)(void *)(s->s_spans->jb_data + s->s_spans->jb_len))[-1]
			    .js_next = start;
			cut = 0;
		}
		vstart = s->s_pos;
		if (scan_value(s, depth, match ? level + 1 : -1))
			return -1;
		count++;
		if (parent) {
			s->s_last_lead = lead;
			s->s_last_start = start;
			s->s_last_keyend = keyend;
			s->s_last_vstart = vstart;
			s->s_last_vend = s->s_pos;
			if (match && s->s_spans) {
				span_add(s, start, s->s_pos, comma, kept);
				cut = 1;
			} else {
				kept = 1;
			}
		}
		scan_ws(s);
		if (s->s_pos < s->s_len && s->s_text[s->s_pos] == ',') {
			comma = s->s_pos++;
			lead = s->s_pos;
			scan_ws(s);
			continue;
		}
		if (s->s_pos < s->s_len && s->s_text[s->s_pos] == close) {
			s->s_pos++;
			break;
		}
		if (s->s_pos >= s->s_len)
			return scan_fail(s, s->s_pos,
			                 object ? "unexpected end of input in an object"
			                        : "unexpected end of input in an array",
			                 0);
		return scan_fail(s, s->s_pos,
		                 object ? "expected ',' or '}' after an object member"
		                        : "expected ',' or ']' after an array element",
		                 1);
	}
out:
	if (parent)
		s->s_pcount = count;
	return 0;
}

/* The value at s_pos (no whitespace before it), inside @p depth objects
 * and arrays, found by @p level path elements (-1: off the path). */
static int scan_value(jscan_t *s, int depth, int level) {
	size_t start = s->s_pos;
	int rc;

	if (start >= s->s_len)
		return scan_fail(s, start, "unexpected end of input", 0);
	if (level >= 0) {
		/* duplicate keys: the last one counts, as in decode */
		if (level < s->s_ncomps) {
			s->s_found = s->s_pfound = 0;
			if (s->s_spans)
				s->s_spans->jb_len = 0;
		}
		s->s_reached = level;
		s->s_reached_type = (char)s->s_text[start];
	}
	switch (s->s_text[start]) {
	case '{':
	case '[':
		if (depth >= JSON_MAX_DEPTH)
			return scan_fail(s, start, "nesting deeper than 200 objects and arrays", 0);
		rc = scan_container(s, depth + 1, level, s->s_text[start] == '{' ? '}' : ']');
		break;
	case '"':
		rc = scan_string(s, NULL);
		break;
	case 't':
		rc = scan_literal(s, "true", 4);
		break;
	case 'f':
		rc = scan_literal(s, "false", 5);
		break;
	case 'n':
		rc = scan_literal(s, "null", 4);
		break;
	default:
		if (s->s_text[start] == '-' || (s->s_text[start] >= '0' && s->s_text[start] <= '9'))
			rc = scan_number(s);
		else
			rc = scan_fail(s, start, "unexpected character", 1);
	}
	if (rc)
		return -1;
	if (level == s->s_ncomps) {
		s->s_found = 1;
		s->s_vstart = start;
		s->s_vend = s->s_pos;
	}
	return 0;
}

/* Checks the whole text, looking for @p comps on the way (NULL: none). */
static int scan_doc(jscan_t *s, lua_State *L, const char *text, size_t len, const jcomp_t *comps,
                    int ncomps, jbuf_t *spans) {
	memset(s, 0, sizeof(*s));
	s->s_L = L;
	s->s_text = (const unsigned char *)text;
	s->s_len = len;
	s->s_comps = comps;
	s->s_ncomps = ncomps;
	s->s_spans = spans;
	scan_ws(s);
	if (s->s_pos >= len)
		return scan_fail(s, s->s_pos, len ? "no value, only whitespace" : "empty text", 0);
	if (scan_value(s, 0, comps ? 0 : -1))
		return -1;
	scan_ws(s);
	if (s->s_pos < len)
		return scan_fail(s, s->s_pos, "trailing characters after the JSON value", 1);
	return 0;
}

/* nil and "fname: what at byte offset N": invalid JSON. */
static int scan_error(lua_State *L, const jscan_t *s, const char *fname) {
	char msg[256];
	unsigned char c = s->s_err_byte ? s->s_text[s->s_err_pos] : 0;

	if (!s->s_err_byte)
		snprintf(msg, sizeof(msg), "%s: %s at byte offset %zu", fname, s->s_err,
		         s->s_err_pos);
	else if (c >= 0x20 && c < 0x7f)
		snprintf(msg, sizeof(msg), "%s: %s ('%c') at byte offset %zu", fname, s->s_err, c,
		         s->s_err_pos);
	else
		snprintf(msg, sizeof(msg), "%s: %s (byte 0x%02X) at byte offset %zu", fname,
		         s->s_err, c, s->s_err_pos);
	lua_pushnil(L);
	lua_pushstring(L, msg);
	return 2;
}

/*
 * The builder: Lua values from text the scanner accepted.
 */

static void build_value(lua_State *L, const unsigned char *t, size_t len, size_t *ip);

static void build_ws(const unsigned char *t, size_t len, size_t *ip) {
	while (*ip < len && (t[*ip] == ' ' || t[*ip] == '\n' || t[*ip] == '\r' || t[*ip] == '\t'))
		(*ip)++;
}

static void build_string(lua_State *L, const unsigned char *t, size_t *ip) {
	size_t i = *ip + 1, from = i;
	luaL_Buffer b;

	while (t[i] != '"' && t[i] != '\\')
		i++;
	if (t[i] == '"') {
		lua_pushlstring(L, (const char *)t + from, i - from);
		*ip = i + 1;
		return;
	}
	luaL_buffinit(L, &b);
	for (;;) {
		unsigned char out[4];
		size_t n;

		luaL_addlstring(&b, (const char *)t + from, i - from);
		if (t[i] == '"')
			break;
		n = unescape(t, &i, out);
		luaL_addlstring(&b, (const char *)out, n);
		from = i;
		while (t[i] != '"' && t[i] != '\\')
			i++;
	}
	luaL_pushresult(&b);
	*ip = i + 1;
}

/* Integers that fit stay integers; the rest are floats (Lua's own
 * conversion, which also reads '.' whatever the locale). */
static void build_number(lua_State *L, const unsigned char *t, size_t len, size_t *ip) {
	size_t i = *ip, start = i;
	int isint = 1, neg = t[i] == '-', over = 0;
	uint64_t v = 0;
	char small[64];

	if (neg)
		i++;
	for (; i < len && t[i] >= '0' && t[i] <= '9'; i++) {
		unsigned d = t[i] - '0';

		if (v > (UINT64_MAX - d) / 10)
			over = 1;
		else
			v = v * 10 + d;
	}
	for (; i < len && (t[i] == '.' || t[i] == 'e' || t[i] == 'E' || t[i] == '+' ||
	                   t[i] == '-' || (t[i] >= '0' && t[i] <= '9'));
	     i++)
		isint = 0;
	*ip = i;
	if (isint && !over && v <= (uint64_t)LUA_MAXINTEGER) {
		lua_pushinteger(L, neg ? -(lua_Integer)v : (lua_Integer)v);
		return;
	}
	if (isint && !over && neg && v == (uint64_t)LUA_MAXINTEGER + 1) {
		lua_pushinteger(L, LUA_MININTEGER);
		return;
	}
	if (i - start < sizeof(small)) {
		memcpy(small, t + start, i - start);
		small[i - start] = '\0';
		if (lua_stringtonumber(L, small) == 0)
			luaL_error(L, "json: cannot read the number %s", small);
		return;
	}
	lua_pushlstring(L, (const char *)t + start, i - start);
	if (lua_stringtonumber(L, lua_tostring(L, -1)) == 0)
		luaL_error(L, "json: cannot read a number of %d digits", (int)(i - start));
	lua_remove(L, -2);
}

static void build_container(lua_State *L, const unsigned char *t, size_t len, size_t *ip) {
	int object = t[*ip] == '{', obj, mt = 0;
	lua_Integer n = 0, nkeys = 0;

	luaL_checkstack(L, 8, "json: nesting");
	lua_newtable(L);
	obj = lua_gettop(L);
	(*ip)++;
	build_ws(t, len, ip);
	while (t[*ip] != '}' && t[*ip] != ']') {
		if (object) {
			build_string(L, t, ip);
			build_ws(t, len, ip);
			(*ip)++; /* ':' */
			build_ws(t, len, ip);
			lua_pushvalue(L, -1);
			if (lua_rawget(L, obj) == LUA_TNIL) {
				/* the first time this key is seen: it keeps that place */
				if (!mt) {
					lua_newtable(L);
					lua_insert(L, obj + 1);
					mt = obj + 1;
				}
				lua_pushvalue(L, -2);
				lua_rawseti(L, mt, ++nkeys);
			}
			lua_pop(L, 1);
			build_value(L, t, len, ip);
			lua_rawset(L, obj);
		} else {
			build_value(L, t, len, ip);
			lua_rawseti(L, obj, ++n);
		}
		build_ws(t, len, ip);
		if (t[*ip] == ',') {
			(*ip)++;
			build_ws(t, len, ip);
		}
	}
	(*ip)++;
	if (mt) {
		lua_pushliteral(L, JSON_OBJECT_MT);
		lua_setfield(L, mt, "__name");
		lua_pushliteral(L, JSON_OBJECT_MT);
		lua_setfield(L, mt, "__metatable");
		lua_setmetatable(L, obj);
	} else {
		luaL_setmetatable(L, object ? JSON_OBJECT_MT : JSON_ARRAY_MT);
	}
}

static void build_value(lua_State *L, const unsigned char *t, size_t len, size_t *ip) {
	switch (t[*ip]) {
	case '{':
	case '[':
		build_container(L, t, len, ip);
		break;
	case '"':
		build_string(L, t, ip);
		break;
	case 't':
		lua_pushboolean(L, 1);
		*ip += 4;
		break;
	case 'f':
		lua_pushboolean(L, 0);
		*ip += 5;
		break;
	case 'n':
		lua_pushlightuserdata(L, NULL);
		*ip += 4;
		break;
	default:
		build_number(L, t, len, ip);
	}
}

/*
 * The encoder.
 */

typedef struct jenc {
	lua_State *e_L;
	jbuf_t *e_out;
	int e_depth, e_max_depth;
	const void *e_seen[JSON_MAX_DEPTH]; /* the tables being written */
	char e_err[200];
	char e_where[200]; /* where the error is, built while unwinding */
} jenc_t;

static int enc_value(jenc_t *e, int idx);

static int enc_fail(jenc_t *e, const char *what, const char *arg) {
	snprintf(e->e_err, sizeof(e->e_err), "%s%s%s", what, arg ? arg : "",
	         arg ? " (JSON keys are strings)" : "");
	return -1;
}

/* Puts @p elem in front of e_where, keeping its start when too long. */
static void enc_where(jenc_t *e, const char *elem) {
	size_t n = strlen(elem), have = strlen(e->e_where);

	if (n + have >= sizeof(e->e_where)) {
		if (n >= sizeof(e->e_where))
			return;
		have = sizeof(e->e_where) - 1 - n;
		e->e_where[have] = '\0';
	}
	memmove(e->e_where + n, e->e_where, have + 1);
	memcpy(e->e_where, elem, n);
}

static int enc_string(jenc_t *e, const char *str, size_t len) {
	const unsigned char *s = (const unsigned char *)str;
	lua_State *L = e->e_L;
	size_t i = 0, from = 0;

	jbuf_add(L, e->e_out, "\"", 1);
	while (i < len) {
		unsigned c = s[i];
		char esc[8];
		size_t n;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		jbuf_add(L, e->e_out, s + from, i - from);
		if (c < 0x80) {
			switch (c) {
			case '"':
				jbuf_addstr(L, e->e_out, "\\\"");
				break;
			case '\\':
				jbuf_addstr(L, e->e_out, "\\\\");
				break;
			case '\b':
				jbuf_addstr(L, e->e_out, "\\b");
				break;
			case '\f':
				jbuf_addstr(L, e->e_out, "\\f");
				break;
			case '\n':
				jbuf_addstr(L, e->e_out, "\\n");
				break;
			case '\r':
				jbuf_addstr(L, e->e_out, "\\r");
				break;
			case '\t':
				jbuf_addstr(L, e->e_out, "\\t");
				break;
			default:
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				jbuf_addstr(L, e->e_out, esc);
			}
			i++;
		} else if ((n = utf8_seq(s + i, len - i, 1)) == 0) {
			snprintf(esc, sizeof(esc), "0x%02X", c);
			snprintf(e->e_err, sizeof(e->e_err),
			         "cannot encode a string that is not UTF-8 (byte %s at offset %zu)",
			         esc, i);
			return -1;
		} else if (c == 0xed && s[i + 1] >= 0xa0) {
			/* a lone surrogate decode kept: its escape again */
			snprintf(esc, sizeof(esc), "\\u%04x",
			         0xd000 | (unsigned)(s[i + 1] & 0x3f) << 6 | (s[i + 2] & 0x3f));
			jbuf_addstr(L, e->e_out, esc);
			i += n;
		} else {
			jbuf_add(L, e->e_out, s + i, n);
			i += n;
		}
		from = i;
	}
	jbuf_add(L, e->e_out, s + from, i - from);
	jbuf_add(L, e->e_out, "\"", 1);
	return 0;
}

/* The shortest of %.14g to %.17g that reads back the same, and always
 * with a '.' or an exponent, so that it reads back as a float. */
static int enc_float(jenc_t *e, lua_Number d) {
	char buf[48];
	size_t n;

	if (isnan(d))
		return enc_fail(e, "cannot encode NaN (JSON has no NaN)", NULL);
	if (isinf(d))
		return enc_fail(e,
		                d < 0 ? "cannot encode -inf (JSON has no infinity)"
		                      : "cannot encode inf (JSON has no infinity)",
		                NULL);
	for (int prec = 14; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, (double)d);
		if (strtod(buf, NULL) == (double)d)
			break;
	}
	/* a locale's decimal comma */
	for (n = 0; buf[n]; n++)
		if (buf[n] == ',')
			buf[n] = '.';
	if (!strpbrk(buf, ".e"))
		memcpy(buf + n, ".0", 3);
	jbuf_addstr(e->e_L, e->e_out, buf);
	return 0;
}

static int key_cmp(const void *a, const void *b) {
	const jcomp_t *ka = a, *kb = b;
	size_t n = ka->jc_keylen < kb->jc_keylen ? ka->jc_keylen : kb->jc_keylen;
	int c = memcmp(ka->jc_key, kb->jc_key, n);

	if (c)
		return c;
	return ka->jc_keylen < kb->jc_keylen ? -1 : ka->jc_keylen > kb->jc_keylen;
}

/* One member: the key (at the top of the stack) and its value in @p idx. */
static int enc_member(jenc_t *e, int idx, int *first) {
	lua_State *L = e->e_L;
	size_t klen;
	const char *key = lua_tolstring(L, -1, &klen);

	if (!*first)
		jbuf_add(L, e->e_out, ",", 1);
	*first = 0;
	if (enc_string(e, key, klen))
		return -1;
	jbuf_add(L, e->e_out, ":", 1);
	lua_pushvalue(L, -1);
	lua_rawget(L, idx);
	if (enc_value(e, lua_gettop(L))) {
		char where[80];

		snprintf(where, sizeof(where), ".%.*s%s", (int)(klen > 60 ? 60 : klen), key,
		         klen > 60 ? "..." : "");
		enc_where(e, where);
		return -1;
	}
	lua_pop(L, 1);
	return 0;
}

/* An object: first the keys in the order decode saw them (in the
 * metatable at @p mt, 0 if none), then the others, sorted. */
static int enc_object(jenc_t *e, int idx, int mt, lua_Integer nkeys) {
	lua_State *L = e->e_L;
	lua_Integer done = 0, nlisted = mt ? (lua_Integer)lua_rawlen(L, mt) : 0;
	int first = 1, listed = 0;
	jcomp_t *rest;
	size_t nrest = 0;

	jbuf_add(L, e->e_out, "{", 1);
	for (lua_Integer i = 1; i <= nlisted; i++) {
		if (lua_rawgeti(L, mt, i) != LUA_TSTRING) {
			lua_pop(L, 1);
			continue;
		}
		lua_pushvalue(L, -1);
		if (lua_rawget(L, idx) != LUA_TNIL) {
			lua_pop(L, 1);
			if (enc_member(e, idx, &first))
				return -1;
			done++;
		} else {
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	if (done < nkeys) {
		if (nlisted) {
			lua_createtable(L, 0, (int)nlisted);
			listed = lua_gettop(L);
			for (lua_Integer i = 1; i <= nlisted; i++) {
				lua_rawgeti(L, mt, i);
				lua_pushboolean(L, 1);
				lua_rawset(L, listed);
			}
		}
		rest = lua_newuserdatauv(L, (size_t)(nkeys - done) * sizeof(*rest), 0);
		lua_pushnil(L);
		while (lua_next(L, idx)) {
			lua_pop(L, 1);
			if (listed) {
				lua_pushvalue(L, -1);
				if (lua_rawget(L, listed) != LUA_TNIL) {
					lua_pop(L, 1);
					continue;
				}
				lua_pop(L, 1);
			}
			if (nrest < (size_t)(nkeys - done)) {
				rest[nrest].jc_key = lua_tolstring(L, -1, &rest[nrest].jc_keylen);
				nrest++;
			}
		}
		qsort(rest, nrest, sizeof(*rest), key_cmp);
		for (size_t i = 0; i < nrest; i++) {
			/* the table keeps the key strings alive */
			lua_pushlstring(L, rest[i].jc_key, rest[i].jc_keylen);
			if (enc_member(e, idx, &first))
				return -1;
			lua_pop(L, 1);
		}
	}
	jbuf_add(L, e->e_out, "}", 1);
	return 0;
}

static int enc_array(jenc_t *e, int idx, lua_Integer n) {
	lua_State *L = e->e_L;

	jbuf_add(L, e->e_out, "[", 1);
	for (lua_Integer i = 1; i <= n; i++) {
		if (i > 1)
			jbuf_add(L, e->e_out, ",", 1);
		lua_rawgeti(L, idx, i);
		if (enc_value(e, lua_gettop(L))) {
			char where[32];

			snprintf(where, sizeof(where), "[%lld]", (long long)i);
			enc_where(e, where);
			return -1;
		}
		lua_pop(L, 1);
	}
	jbuf_add(L, e->e_out, "]", 1);
	return 0;
}

static int enc_table(jenc_t *e, int idx) {
	lua_State *L = e->e_L;
	const void *p = lua_topointer(L, idx);
	lua_Integer nstr = 0, nint = 0, maxint = 0;
	const char *other = NULL;
	int kind = 0, mt = 0, top = lua_gettop(L), rc; /* kind: 1 array, 2 object */

	if (e->e_depth >= e->e_max_depth) {
		snprintf(e->e_err, sizeof(e->e_err), "nesting deeper than %d objects and arrays",
		         JSON_MAX_DEPTH);
		return -1;
	}
	for (int i = 0; i < e->e_depth; i++)
		if (e->e_seen[i] == p)
			return enc_fail(e, "cannot encode a table that contains itself", NULL);
	luaL_checkstack(L, 10, "json: nesting");
	if (lua_getmetatable(L, idx)) {
		mt = lua_gettop(L);
		if (lua_getfield(L, mt, "__name") == LUA_TSTRING) {
			if (strcmp(lua_tostring(L, -1), JSON_ARRAY_MT) == 0)
				kind = 1;
			else if (strcmp(lua_tostring(L, -1), JSON_OBJECT_MT) == 0)
				kind = 2;
		}
		lua_pop(L, 1);
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) == LUA_TSTRING)
			nstr++;
		else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0) {
			nint++;
			if (lua_tointeger(L, -1) > maxint)
				maxint = lua_tointeger(L, -1);
		} else if (!other)
			other = lua_type(L, -1) == LUA_TNUMBER ? "number" : luaL_typename(L, -1);
	}
	if (!kind) {
		if (!other && !nstr && nint)
			kind = 1;
		else if (!other && !nint)
			kind = 2;
		else if (!other)
			return enc_fail(
			    e, "cannot encode a table with both string keys and array indexes",
			    NULL);
	}
	if (other)
		return enc_fail(e, "cannot encode a table with a key of type ", other);
	if (kind == 1 && nstr)
		return enc_fail(e, "cannot encode an array with a string key", NULL);
	if (kind == 2 && nint)
		return enc_fail(e, "cannot encode an object with an integer key", "");
	if (kind == 1 && maxint != nint) {
		lua_Integer i = 1;

		while (lua_rawgeti(L, idx, i) != LUA_TNIL) {
			lua_pop(L, 1);
			i++;
		}
		snprintf(e->e_err, sizeof(e->e_err),
		         "cannot encode an array with a hole at [%lld] (json.null is JSON's null)",
		         (long long)i);
		return -1;
	}
	e->e_seen[e->e_depth++] = p;
	rc = kind == 1 ? enc_array(e, idx, nint) : enc_object(e, idx, kind == 2 ? mt : 0, nstr);
	e->e_depth--;
	lua_settop(L, top);
	return rc;
}

static int enc_value(jenc_t *e, int idx) {
	lua_State *L = e->e_L;
	char buf[32];

	switch (lua_type(L, idx)) {
	case LUA_TSTRING: {
		size_t len;
		const char *s = lua_tolstring(L, idx, &len);

		return enc_string(e, s, len);
	}
	case LUA_TNUMBER:
		if (!lua_isinteger(L, idx))
			return enc_float(e, lua_tonumber(L, idx));
		snprintf(buf, sizeof(buf), LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
		jbuf_addstr(L, e->e_out, buf);
		return 0;
	case LUA_TBOOLEAN:
		jbuf_addstr(L, e->e_out, lua_toboolean(L, idx) ? "true" : "false");
		return 0;
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, idx))
			return enc_fail(e, "cannot encode a light userdata other than json.null",
			                NULL);
		jbuf_addstr(L, e->e_out, "null");
		return 0;
	case LUA_TTABLE:
		return enc_table(e, idx);
	case LUA_TNIL:
		return enc_fail(e, "cannot encode nil (json.null is JSON's null)", NULL);
	default:
		return enc_fail(e,
		                lua_type(L, idx) == LUA_TFUNCTION
		                    ? "cannot encode a function"
		                    : "cannot encode a userdata or thread",
		                NULL);
	}
}

/* Encodes the value at @p idx into a buffer it pushes; on failure pushes
 * nothing more and leaves the message "fname: what [at where]" on top. */
static jbuf_t *encode_push(lua_State *L, int idx, int max_depth, const char *fname) {
	jenc_t enc, *e = &enc;
	jbuf_t *jb = jbuf_new(L);

	e->e_L = L;
	e->e_out = jb;
	e->e_depth = 0;
	e->e_max_depth = max_depth;
	e->e_err[0] = e->e_where[0] = '\0';
	if (enc_value(e, idx)) {
		jbuf_free(jb);
		lua_pop(L, 1);
		lua_pushfstring(L, "%s: %s%s%s", fname, e->e_err, e->e_where[0] ? " at " : "",
		                e->e_where);
		return NULL;
	}
	return jb;
}

/*
 * The module's functions.
 */

static int json_decode(lua_State *L) {
	size_t len, pos = 0;
	const char *text = luaL_checklstring(L, 1, &len);
	jscan_t s;

	if (scan_doc(&s, L, text, len, NULL, 0, NULL))
		return scan_error(L, &s, "json.decode");
	build_ws((const unsigned char *)text, len, &pos);
	build_value(L, (const unsigned char *)text, len, &pos);
	return 1;
}

static int json_encode(lua_State *L) {
	jbuf_t *jb;

	lua_settop(L, 1);
	if (!(jb = encode_push(L, 1, JSON_MAX_DEPTH, "json.encode"))) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	lua_pushlstring(L, jb->jb_data, jb->jb_len);
	jbuf_free(jb);
	return 1;
}

static int json_get(lua_State *L) {
	size_t len;
	const char *text = luaL_checklstring(L, 1, &len);
	jcomp_t *comps;
	int n = path_parse(L, 2, "json.get", &comps);
	jscan_t s;

	if (scan_doc(&s, L, text, len, comps, n, NULL))
		return scan_error(L, &s, "json.get");
	if (!s.s_found) {
		lua_pushnil(L);
		return 1;
	}
	build_value(L, (const unsigned char *)text, s.s_vend, &s.s_vstart);
	return 1;
}

/* nil and why set cannot place the value: the path stops before its
 * parent, or the parent does not fit the last element. */
static int set_error(lua_State *L, const jscan_t *s, const jcomp_t *comps, int n) {
	static const char *const types[] = {"a string",  "an object", "an array",
	                                    "a boolean", "null",      "a number"};
	char elem[80], msg[300];
	const char *type;

	switch (s->s_reached_type) {
	case '"':
		type = types[0];
		break;
	case '{':
		type = types[1];
		break;
	case '[':
		type = types[2];
		break;
	case 't':
	case 'f':
		type = types[3];
		break;
	case 'n':
		type = types[4];
		break;
	default:
		type = types[5];
	}
	if (!s->s_pfound) {
		path_elem(&comps[s->s_reached], elem, sizeof(elem));
		if (s->s_reached_type == '{' || s->s_reached_type == '[')
			snprintf(msg, sizeof(msg),
			         "json.set: path element %d (%s) not found; only the last one may "
			         "be missing",
			         s->s_reached + 1, elem);
		else
			snprintf(
			    msg, sizeof(msg),
			    "json.set: path element %d (%s) goes into %s, not an object or array",
			    s->s_reached + 1, elem, type);
	} else {
		path_elem(&comps[n - 1], elem, sizeof(elem));
		if (s->s_ptype == '{')
			snprintf(msg, sizeof(msg),
			         "json.set: path element %d (%s) is an array index, but it goes "
			         "into an object",
			         n, elem);
		else if (!comps[n - 1].jc_index)
			snprintf(
			    msg, sizeof(msg),
			    "json.set: path element %d (%s) is an object key, but it goes into "
			    "an array",
			    n, elem);
		else
			snprintf(
			    msg, sizeof(msg),
			    "json.set: path element %d (%s) is past the end of an array of %lld "
			    "(%lld appends)",
			    n, elem, (long long)s->s_pcount, (long long)s->s_pcount + 1);
	}
	lua_pushnil(L);
	lua_pushstring(L, msg);
	return 2;
}

static int json_set(lua_State *L) {
	size_t len;
	const char *text = luaL_checklstring(L, 1, &len);
	jcomp_t *comps;
	int n, append;
	jscan_t s;
	jbuf_t *val, *key = NULL;
	luaL_Buffer b;

	lua_settop(L, 3);
	n = path_parse(L, 2, "json.set", &comps);
	if (scan_doc(&s, L, text, len, comps, n, NULL))
		return scan_error(L, &s, "json.set");
	append = !s.s_found;
	if (append && (!s.s_pfound || (s.s_ptype == '{' ? !comps[n - 1].jc_key
	                                                : comps[n - 1].jc_index != s.s_pcount + 1)))
		return set_error(L, &s, comps, n);
	/* the whole document stays within the nesting limit */
	if (!(val = encode_push(L, 3, JSON_MAX_DEPTH - n, "json.set"))) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	if (append && s.s_ptype == '{') {
		lua_pushlstring(L, comps[n - 1].jc_key, comps[n - 1].jc_keylen);
		if (!(key = encode_push(L, lua_gettop(L), 1, "json.set"))) {
			lua_pushnil(L);
			lua_insert(L, -2);
			return 2;
		}
	}
	luaL_buffinit(L, &b);
	if (!append) {
		luaL_addlstring(&b, text, s.s_vstart);
		luaL_addlstring(&b, val->jb_data, val->jb_len);
		luaL_addlstring(&b, text + s.s_vend, len - s.s_vend);
		luaL_pushresult(&b);
		return 1;
	}
	/* a new last member, spaced like the one before it */
	if (s.s_pcount) {
		luaL_addlstring(&b, text, s.s_last_vend);
		luaL_addchar(&b, ',');
		luaL_addlstring(&b, text + s.s_last_lead, s.s_last_start - s.s_last_lead);
	} else {
		luaL_addlstring(&b, text, s.s_popen + 1);
	}
	if (key) {
		luaL_addlstring(&b, key->jb_data, key->jb_len);
		if (s.s_pcount)
			luaL_addlstring(&b, text + s.s_last_keyend,
			                s.s_last_vstart - s.s_last_keyend);
		else
			luaL_addchar(&b, ':');
	}
	luaL_addlstring(&b, val->jb_data, val->jb_len);
	if (s.s_pcount)
		luaL_addlstring(&b, text + s.s_last_vend, len - s.s_last_vend);
	else
		luaL_addlstring(&b, text + s.s_popen + 1, len - s.s_popen - 1);
	luaL_pushresult(&b);
	return 1;
}

static int json_remove(lua_State *L) {
	size_t len, from = 0, nspans;
	const char *text = luaL_checklstring(L, 1, &len);
	jcomp_t *comps;
	int n = path_parse(L, 2, "json.remove", &comps);
	jbuf_t *spans = jbuf_new(L);
	const jspan_t *sp;
	jscan_t s;
	luaL_Buffer b;

	if (n == 0)
		return luaL_error(
		    L, "json.remove: the path is empty; the whole text cannot be removed");
	if (scan_doc(&s, L, text, len, comps, n, spans))
		return scan_error(L, &s, "json.remove");
	nspans = spans->jb_len / sizeof(jspan_t);
	if (nspans == 0) {
		lua_pushvalue(L, 1);
		return 1;
	}
	sp = (const jspan_t *)(void *)spans->jb_data;
	luaL_buffinit(L, &b);
	/* cuts in text order that never overlap: after a member that stays,
	 * from the ',' before; before it, up to the next member */
	for (size_t i = 0; i < nspans; i++) {
		size_t cut_from = sp[i].js_start, cut_to = sp[i].js_end;

		if (sp[i].js_kept_before)
			cut_from = sp[i].js_comma;
		else if (sp[i].js_next != JSON_NONE)
			cut_to = sp[i].js_next;
		luaL_addlstring(&b, text + from, cut_from - from);
		from = cut_to;
	}
	luaL_addlstring(&b, text + from, len - from);
	luaL_pushresult(&b);
	return 1;
}

static int mark(lua_State *L, const char *mt) {
	if (lua_isnoneornil(L, 1)) {
		lua_settop(L, 0);
		lua_newtable(L);
	}
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	luaL_setmetatable(L, mt);
	return 1;
}

static int json_array(lua_State *L) {
	return mark(L, JSON_ARRAY_MT);
}

static int json_object(lua_State *L) {
	return mark(L, JSON_OBJECT_MT);
}

int km_lua_json_open(lua_State *L) {
	static const luaL_Reg fns[] = {
	    {"get", json_get},       {"set", json_set},       {"remove", json_remove},
	    {"decode", json_decode}, {"encode", json_encode}, {"array", json_array},
	    {"object", json_object}, {"null", NULL},          {NULL, NULL},
	};
	static const char *const marks[] = {JSON_ARRAY_MT, JSON_OBJECT_MT};

	if (luaL_newmetatable(L, JSON_BUF_MT)) {
		lua_pushcfunction(L, jbuf_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, jbuf_gc);
		lua_setfield(L, -2, "__close");
	}
	lua_pop(L, 1);
	/* what getmetatable() says of decoded tables; setmetatable() on them
	 * fails, and scripts cannot change how other tables encode */
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		if (luaL_newmetatable(L, marks[i])) {
			lua_pushstring(L, marks[i]);
			lua_setfield(L, -2, "__metatable");
		}
		lua_pop(L, 1);
	}
	luaL_newlib(L, fns);
	lua_pushlightuserdata(L, NULL);
	lua_setfield(L, -2, "null");
	return 1;
}
