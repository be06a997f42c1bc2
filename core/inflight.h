/* In-flight accounting: every consumed source record not yet resolved.
 *
 * Each consumed record takes one entry of a fixed pool (no allocation per
 * record), queued on its partition's queue in consume order. An entry is
 * held (`pending`) by the batch copying it and by every produce request
 * made from it; when the last hold goes it is resolved, and when it heads
 * its queue the queue pops it (km_inflight_pop), in order. A slow
 * partition therefore holds back nobody else.
 *
 * The per-partition window (one.batch.per.partition): a queue with
 * `part_cap` bytes unacknowledged, or pushed in this admission and not yet
 * produced, defers its further entries, in order, from `dhead` to its tail,
 * until its acknowledgements bring it under the cap; it then goes on the
 * ready list and km_inflight_take_ready hands its deferred entries out
 * again. One poll of many records of a partition therefore sends one batch
 * of them, not all.
 *
 * The bound: consumed - stored records (stored: whose progress the target
 * acknowledged) and the bytes held stay under the flow's limits; the copy
 * loop stops consuming while km_inflight_full() says so, which is how
 * back-pressure reaches the source consumer.
 *
 * No Kafka I/O here: a consumed message is an opaque pointer, let go with
 * the pool's release callback. Unit-tested without brokers
 * (tests/unit/test_inflight.c).
 * @locality the flow's data thread (everything here) */
#ifndef KM_INFLIGHT_H
#define KM_INFLIGHT_H

#include <stddef.h>
#include <stdint.h>

#include "kmirror/err.h"

/* A partition's queue of entries in the pool. */
typedef struct km_ifq {
	int32_t head, tail; /* its entries, in consume order (-1: none) */
	int32_t dhead;      /* the first deferred entry; the rest up to tail are too */
	size_t unacked;     /* window bytes produced and not yet acknowledged */
	size_t admitted;    /* window bytes pushed, not deferred, not yet produced */
	uint8_t ready;      /* on the ready list */
	uint8_t popq;       /* on the list of queues whose head resolved */
	uint8_t stopped;    /* nothing more goes out: deferred entries are released */
	void *owner;        /* the caller's partition */
} km_ifq_t;

/* One consumed source record not yet resolved. */
typedef struct km_entry {
	void *msg;          /* the consumed record, let go with the pool's release */
	km_ifq_t *q;        /* its partition's queue */
	int64_t offset;     /* source offset */
	int64_t ts;         /* source timestamp (ms) */
	int64_t dst_offset; /* target offset of the last record made from it in its mirror
	                       partition, -1: none */
	int64_t dst_first;  /* ...and of the first (a stage may make several), -1: none */
	size_t bytes;       /* counted against the bytes bound until released */
	size_t size;        /* the record's key and value bytes, for the counters */
	size_t cost;        /* its window cost (one.batch.per.partition), 0 without */
	int32_t pending;    /* holds: the batch copying it, and each produce request */
	int32_t status;     /* the first failure of a record made from it (0: none) */
	int32_t next;       /* its queue's next entry, or the next free one (-1: none) */
	int16_t mark;       /* the caller's; 0 when pushed */
	uint16_t routed;    /* a record made from it went to another topic or partition */
} km_entry_t;

typedef void(km_release_fn)(void *msg);

typedef struct km_inflight {
	km_entry_t *ring; /* the pool: cap entries, cnt in use */
	size_t cap, cnt;
	int32_t free; /* the first free entry (-1: none) */
	km_ifq_t **popq, **ready;
	size_t popq_cnt, ready_cnt, lists_cap;
	size_t part_cap; /* window bytes per queue; SIZE_MAX: no window */
	size_t bytes, max_bytes, max_records;
	uint64_t consumed, popped, stored, deferred;
	km_release_fn *release;
} km_inflight_t;

/* Pool of @p max_records entries; @p part_cap SIZE_MAX turns the window off.
 * KM_ERR_INVALID when @p max_records is 0 or above INT32_MAX, KM_ERR_NOMEM
 * when out of memory. */
km_err_t km_inflight_init(km_inflight_t *ifl, size_t max_records, size_t max_bytes, size_t part_cap,
                          km_release_fn *release);
/* Releases every message still held, then the pool. */
void km_inflight_free(km_inflight_t *ifl);
/* Makes room on the lists for @p queues queues in all (call as partitions
 * are added; allocation happens here only). KM_ERR_NOMEM when out of
 * memory. */
km_err_t km_inflight_reserve(km_inflight_t *ifl, size_t queues);
void km_ifq_init(km_ifq_t *q, void *owner);

/* Records consumed whose progress is not yet stored. */
uint64_t km_inflight_count(const km_inflight_t *ifl);
/* How many more records may be consumed now (0: wait for acknowledgements). */
size_t km_inflight_room(const km_inflight_t *ifl);

/* Takes a free entry for @p msg, queued on @p q, held once (by the batch).
 * The caller made sure there is room (km_inflight_room). Returns the entry,
 * or NULL when it must be deferred (the window is full or entries are
 * deferred before it): it is queued and deferred then. */
km_entry_t *km_inflight_push(km_inflight_t *ifl, km_ifq_t *q, void *msg, int64_t offset, int64_t ts,
                             size_t bytes, size_t cost);
/* The @p n entries that km_inflight_push returned go to be produced now:
 * what they reserved of their queues' windows ends, as their produce
 * requests hold it (km_inflight_hold) from here on. */
void km_inflight_admitted(km_inflight_t *ifl, km_entry_t **entries, size_t n);
/* One produce request more for @p e, costing @p cost window bytes. */
void km_inflight_hold(km_inflight_t *ifl, km_entry_t *e, size_t cost);
/* A produce request of @p e was reported (@p status 0: acknowledged at
 * @p dst_offset) and gives back @p cost window bytes. */
void km_inflight_ack(km_inflight_t *ifl, km_entry_t *e, int32_t status, int64_t dst_offset,
                     size_t cost);
/* A record made from @p e failed before it was sent: no report will come. */
void km_inflight_fail(km_inflight_t *ifl, km_entry_t *e, int32_t status);
/* Drops the batch's hold on @p e. */
void km_inflight_release(km_inflight_t *ifl, km_entry_t *e);
/* @p q changed (stopped, or nothing of it is unacknowledged): its deferred
 * entries go on, or are released when it stopped, at the next
 * km_inflight_take_ready. */
void km_inflight_kick(km_inflight_t *ifl, km_ifq_t *q);

/* What km_inflight_pop's visitor says of a resolved head entry. */
enum { KM_POP_TAKE, KM_POP_KEEP };
typedef int(km_pop_fn)(void *arg, km_entry_t *e);
/* Pops the resolved head entries of the queues whose head resolved, each
 * queue in order; @p visit sees each first, and KM_POP_KEEP leaves it (and
 * the rest of its queue) in place. */
void km_inflight_pop(km_inflight_t *ifl, km_pop_fn *visit, void *arg);

/* Hands out up to @p max deferred entries of ready queues, within each
 * queue's window. Entries of stopped queues are released instead. */
size_t km_inflight_take_ready(km_inflight_t *ifl, km_entry_t **out, size_t max);

/* Empties @p q: every entry goes back to the pool and counts as never
 * consumed (a rebuild copies them again). Returns the first entry's source
 * offset, or -1 when the queue was empty. */
int64_t km_inflight_drop_queue(km_inflight_t *ifl, km_ifq_t *q);
/* Forgets the lists (after every queue was dropped). */
void km_inflight_clear_lists(km_inflight_t *ifl);

/* The head entry of @p q, or NULL. */
static inline km_entry_t *km_ifq_head(const km_inflight_t *ifl, const km_ifq_t *q) {
	return q->head >= 0 ? &ifl->ring[q->head] : NULL;
}

#endif
