/* The control thread's topic catalog. See catalog.h. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

static size_t hash(const char *s) {
	size_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t slot(const km_strmap_t *m, const char *key) {
	size_t i = hash(key) & (m->cap - 1);

	while (m->keys[i] && strcmp(m->keys[i], key))
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *km_strmap_get(const km_strmap_t *m, const char *key) {
	size_t i;

	if (!m->cap)
		return NULL;
	i = slot(m, key);
	return m->keys[i] ? m->vals[i] : NULL;
}

int km_strmap_has(const km_strmap_t *m, const char *key) {
	return m->cap && m->keys[slot(m, key)] != NULL;
}

static km_err_t grow(km_strmap_t *m) {
	km_strmap_t n = {.cap = m->cap ? m->cap * 2 : 64};

	if (!(n.keys = calloc(n.cap, sizeof(*n.keys))) ||
	    !(n.vals = calloc(n.cap, sizeof(*n.vals)))) {
		free(n.keys);
		return KM_ERR_NOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i]) {
			size_t j = slot(&n, m->keys[i]);
			n.keys[j] = m->keys[i];
			n.vals[j] = m->vals[i];
			n.cnt++;
		}
	}
	free(m->keys);
	free(m->vals);
	*m = n;
	return KM_OK;
}

km_err_t km_strmap_put(km_strmap_t *m, const char *key, void *val) {
	size_t i;

	if ((m->cnt + 1) * 2 > m->cap && grow(m) != KM_OK)
		return KM_ERR_NOMEM;
	i = slot(m, key);
	if (!m->keys[i]) {
		m->keys[i] = key;
		m->cnt++;
	}
	m->vals[i] = val;
	return KM_OK;
}

void km_strmap_free(km_strmap_t *m) {
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

void km_catalog_free(km_catalog_t *c) {
	for (km_ctopic_t *t = c->all, *next; t; t = next) {
		next = t->next;
		free(t->name);
		free(t->target);
		free(t);
	}
	km_strmap_free(&c->src);
	km_catalog_clear_dst(c);
	free(c->dst_names);
	memset(c, 0, sizeof(*c));
}

km_ctopic_t *km_catalog_topic(km_catalog_t *c, const char *name) {
	return km_strmap_get(&c->src, name);
}

km_ctopic_t *km_catalog_add(km_catalog_t *c, const char *name) {
	km_ctopic_t *t = km_catalog_topic(c, name);

	if (t)
		return t;
	if (!(t = calloc(1, sizeof(*t))) || !(t->name = strdup(name)))
		goto fail;
	t->dst_cnt = -1;
	if (km_strmap_put(&c->src, t->name, t) != KM_OK)
		goto fail;
	t->next = c->all;
	c->all = t;
	return t;
fail:
	if (t)
		free(t->name);
	free(t);
	return NULL;
}

int32_t km_catalog_dst(const km_catalog_t *c, const char *name) {
	return (int32_t)((intptr_t)km_strmap_get(&c->dst, name) - 1);
}

km_err_t km_catalog_set_dst(km_catalog_t *c, const char *name, int32_t cnt) {
	char *key;

	if (km_catalog_dst(c, name) != cnt)
		c->dst_version++;

	if (km_strmap_has(&c->dst, name)) /* a known name: only its value changes */
		return km_strmap_put(&c->dst, name, (void *)(intptr_t)(cnt + 1));
	if (cnt < 0)
		return KM_OK; /* not there, and never was */
	if (c->dst_name_cnt == c->dst_name_cap) {
		size_t cap = c->dst_name_cap ? c->dst_name_cap * 2 : 64;
		char **n = realloc(c->dst_names, cap * sizeof(*n));
		if (!n)
			return KM_ERR_NOMEM;
		c->dst_names = n;
		c->dst_name_cap = cap;
	}
	if (!(key = strdup(name)))
		return KM_ERR_NOMEM;
	if (km_strmap_put(&c->dst, key, (void *)(intptr_t)(cnt + 1)) != KM_OK) {
		free(key);
		return KM_ERR_NOMEM;
	}
	c->dst_names[c->dst_name_cnt++] = key;
	return KM_OK;
}

void km_catalog_clear_dst(km_catalog_t *c) {
	c->dst_version++;
	km_strmap_free(&c->dst);
	for (size_t i = 0; i < c->dst_name_cnt; i++)
		free(c->dst_names[i]);
	c->dst_name_cnt = 0;
}
