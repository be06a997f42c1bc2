/* Snapshots of the target's topics. See tmeta.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tmeta.h"

km_tmeta_t *km_tmeta_build(const km_catalog_t *cat) {
	km_tmeta_t *tm = calloc(1, sizeof(*tm));
	size_t len = 0, off = 0;

	if (!tm)
		return NULL;
	atomic_init(&tm->refs, 1);
	tm->listed = cat->dst_listed;
	for (size_t i = 0; i < cat->dst_name_cnt; i++)
		len += strlen(cat->dst_names[i]) + 1;
	if (!(tm->names = malloc(len ? len : 1)))
		goto fail;
	for (size_t i = 0; i < cat->dst_name_cnt; i++) {
		const char *name = cat->dst_names[i];
		size_t n = strlen(name) + 1;
		memcpy(tm->names + off, name, n);
		if (km_strmap_put(&tm->map, tm->names + off, km_strmap_get(&cat->dst, name)))
			goto fail;
		off += n;
	}
	return tm;
fail:
	km_tmeta_release(tm);
	return NULL;
}

void km_tmeta_release(km_tmeta_t *tm) {
	if (!tm || atomic_fetch_sub(&tm->refs, 1) != 1)
		return;
	km_strmap_free(&tm->map);
	free(tm->names);
	free(tm);
}

int32_t km_tmeta_partitions(const km_tmeta_t *tm, const char *topic) {
	intptr_t v;

	if (!tm)
		return -1;
	v = (intptr_t)km_strmap_get(&tm->map, topic);
	if (v > 1)
		return (int32_t)(v - 1);
	return v == 1 || tm->listed ? 0 : -1;
}
