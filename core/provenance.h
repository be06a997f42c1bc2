/* Provenance headers: the Kafka cluster ids a record has been on.
 *
 * Every record a flow copies carries a header (kmirror.provenance unless
 * provenance.header names another) whose value lists the ids of the
 * clusters the record was copied from, joined by ',' ("Bq3...,x7Y..."),
 * oldest first: a flow appends its source cluster's id. A flow drops a
 * record whose list holds its target cluster's id: the record came from
 * there. So with flows a->b and b->a (the identity policy) each record
 * reaches the other cluster once and never comes back.
 *
 * The format: ids are Kafka's cluster ids (base64, 22 characters, never a
 * ','); an empty or null value is an empty list; several headers of the
 * name (a list that did not fit KM_PROV_VALUE_MAX, or a record copied by
 * something that appended one header per hop) are read as one list.
 *
 * Pure functions over librdkafka's header lists: no Kafka I/O, no
 * allocation of ours (librdkafka's header API allocates what it holds).
 * Unit tests: tests/unit/test_provenance.c.
 * @locality any thread (the data thread in a flow) */
#ifndef KM_PROVENANCE_H
#define KM_PROVENANCE_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#define KM_PROV_HEADER    "kmirror.provenance"
#define KM_PROV_ID_MAX    64   /* a cluster id's bytes, with its NUL */
#define KM_PROV_VALUE_MAX 1024 /* the longest list kept in one header */

/* Whether the ','-separated list @p val (@p len bytes, NULL: empty) holds
 * the id @p id (@p id_len bytes, not empty). */
int km_prov_list_has(const void *val, size_t len, const char *id, size_t id_len);

/* What @p h (NULL: none) says of @p id under the header @p name: no such
 * header, headers that do not list it, or one that does. Cheap when @p h
 * holds no header of that name: one name comparison per header. */
typedef enum km_prov_state {
	KM_PROV_NONE = 0, /* no header named @p name */
	KM_PROV_OTHER,    /* the header is there; @p id is not in it */
	KM_PROV_SEEN,     /* a header of the name lists @p id */
} km_prov_state_t;
km_prov_state_t km_prov_state(const rd_kafka_headers_t *h, const char *name, const char *id,
                              size_t id_len);
/* Whether a header named @p name of @p h lists @p id (KM_PROV_SEEN). */
int km_prov_seen(const rd_kafka_headers_t *h, const char *name, const char *id, size_t id_len);

/* Appends @p id to the list of @p h's header @p name: the header's value
 * becomes "OLD,ID" (it moves to the end of the headers), or the header is
 * added with "ID" when there is none; nothing changes when the list holds
 * @p id already. A list that would pass KM_PROV_VALUE_MAX bytes is left
 * and a second header of the name holds @p id. @p h NULL: a new list is
 * made. Returns the headers (the caller owns them, as it owned @p h). */
rd_kafka_headers_t *km_prov_append(rd_kafka_headers_t *h, const char *name, const char *id,
                                   size_t id_len);
/* The same when the caller knows already, from km_prov_state() on these
 * very headers, that they hold no header @p name: no scan of them. */
rd_kafka_headers_t *km_prov_append_new(rd_kafka_headers_t *h, const char *name, const char *id,
                                       size_t id_len);

/* Undoes km_prov_append(@p h, @p name, @p id) on a copy: the headers as
 * they were before (the provenance header, if it stays, goes last). For
 * the rare records that go to the dead-letter topic as their source had
 * them. Returns the new headers (the caller owns them); @p h is borrowed. */
rd_kafka_headers_t *km_prov_strip(const rd_kafka_headers_t *h, const char *name, const char *id,
                                  size_t id_len);

#endif
