/* Provenance headers: reading and extending the list of cluster ids
 * (provenance.h). */
#include "config.h"

#include <string.h>

#include "provenance.h"

int km_prov_list_has(const void *val, size_t len, const char *id, size_t id_len) {
	const char *s = val, *end = s + len;

	if (!val || !id_len)
		return 0;
	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		size_t n = (size_t)((comma ? comma : end) - s);
		if (n == id_len && !memcmp(s, id, id_len))
			return 1;
		if (!comma)
			break;
		s = comma + 1;
	}
	return 0;
}

km_prov_state_t km_prov_state(const rd_kafka_headers_t *h, const char *name, const char *id,
                              size_t id_len) {
	km_prov_state_t st = KM_PROV_NONE;
	const void *val;
	size_t len;

	for (size_t i = 0; h && !rd_kafka_header_get(h, i, name, &val, &len); i++) {
		if (km_prov_list_has(val, len, id, id_len))
			return KM_PROV_SEEN;
		st = KM_PROV_OTHER;
	}
	return st;
}

int km_prov_seen(const rd_kafka_headers_t *h, const char *name, const char *id, size_t id_len) {
	return km_prov_state(h, name, id, id_len) == KM_PROV_SEEN;
}

rd_kafka_headers_t *km_prov_append_new(rd_kafka_headers_t *h, const char *name, const char *id,
                                       size_t id_len) {
	if (!h)
		h = rd_kafka_headers_new(1);
	rd_kafka_header_add(h, name, -1, id, (ssize_t)id_len);
	return h;
}

rd_kafka_headers_t *km_prov_append(rd_kafka_headers_t *h, const char *name, const char *id,
                                   size_t id_len) {
	char buf[KM_PROV_VALUE_MAX];
	const void *val;
	size_t len;

	/* the common case, a record that had no provenance: one scan */
	if (!h || rd_kafka_header_get(h, 0, name, &val, &len))
		return km_prov_append_new(h, name, id, id_len);
	if (km_prov_seen(h, name, id, id_len))
		return h;
	/* one header of the name, with room: extend its list (copied first:
	 * the removal frees the old value) */
	if (rd_kafka_header_get(h, 1, name, &(const void *){NULL}, &(size_t){0}) &&
	    len + 1 + id_len <= sizeof(buf)) {
		size_t n = 0;
		if (val && len) {
			memcpy(buf, val, len);
			buf[len] = ',';
			n = len + 1;
		}
		memcpy(buf + n, id, id_len);
		rd_kafka_header_remove(h, name);
		rd_kafka_header_add(h, name, -1, buf, (ssize_t)(n + id_len));
		return h;
	}
	rd_kafka_header_add(h, name, -1, id, (ssize_t)id_len);
	return h;
}

rd_kafka_headers_t *km_prov_strip(const rd_kafka_headers_t *h, const char *name, const char *id,
                                  size_t id_len) {
	size_t cnt = rd_kafka_header_cnt(h), last = cnt;
	rd_kafka_headers_t *out = rd_kafka_headers_new(cnt ? cnt : 1);
	const char *n;
	const void *val;
	size_t len;

	for (size_t i = 0; i < cnt; i++)
		if (!rd_kafka_header_get_all(h, i, &n, &val, &len) && !strcmp(n, name))
			last = i; /* the one km_prov_append added or extended */
	for (size_t i = 0; i < cnt; i++) {
		if (rd_kafka_header_get_all(h, i, &n, &val, &len))
			continue;
		if (i == last && len >= id_len &&
		    !memcmp((const char *)val + len - id_len, id, id_len) &&
		    (len == id_len || ((const char *)val)[len - id_len - 1] == ',')) {
			if (len > id_len) /* "OLD,ID": OLD stays */
				rd_kafka_header_add(out, n, -1, val, (ssize_t)(len - id_len - 1));
			continue;
		}
		rd_kafka_header_add(out, n, -1, val, val ? (ssize_t)len : 0);
	}
	return out;
}
