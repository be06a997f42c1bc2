/* In-flight accounting: the entry pool, per-partition queues, the window.
 * See inflight.h. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inflight.h"

km_err_t km_inflight_init(km_inflight_t *ifl, size_t max_records, size_t max_bytes, size_t part_cap,
                          km_release_fn *release) {
	memset(ifl, 0, sizeof(*ifl));
	if (!max_records || max_records > INT32_MAX)
		return KM_ERR_INVALID;
	if (!(ifl->ring = calloc(max_records, sizeof(*ifl->ring))))
		return KM_ERR_NOMEM;
	ifl->cap = max_records;
	for (size_t i = 0; i < ifl->cap; i++) /* every entry free */
		ifl->ring[i].next = i + 1 < ifl->cap ? (int32_t)(i + 1) : -1;
	ifl->free = 0;
	ifl->max_records = max_records;
	ifl->max_bytes = max_bytes;
	ifl->part_cap = part_cap;
	ifl->release = release;
	return KM_OK;
}

void km_inflight_free(km_inflight_t *ifl) {
	for (size_t i = 0; ifl->ring && i < ifl->cap; i++)
		if (ifl->ring[i].msg && ifl->release)
			ifl->release(ifl->ring[i].msg);
	free(ifl->ring);
	free(ifl->popq);
	free(ifl->ready);
	memset(ifl, 0, sizeof(*ifl));
}

km_err_t km_inflight_reserve(km_inflight_t *ifl, size_t queues) {
	km_ifq_t **l;

	if (queues <= ifl->lists_cap)
		return KM_OK;
	if (!(l = realloc(ifl->popq, queues * sizeof(*l))))
		return KM_ERR_NOMEM;
	ifl->popq = l;
	if (!(l = realloc(ifl->ready, queues * sizeof(*l))))
		return KM_ERR_NOMEM;
	ifl->ready = l;
	ifl->lists_cap = queues;
	return KM_OK;
}

void km_ifq_init(km_ifq_t *q, void *owner) {
	memset(q, 0, sizeof(*q));
	q->head = q->tail = q->dhead = -1;
	q->owner = owner;
}

uint64_t km_inflight_count(const km_inflight_t *ifl) {
	return ifl->consumed > ifl->stored ? ifl->consumed - ifl->stored : 0;
}

size_t km_inflight_room(const km_inflight_t *ifl) {
	uint64_t n = km_inflight_count(ifl);
	size_t room;

	if (n >= ifl->max_records || ifl->bytes >= ifl->max_bytes || ifl->cnt >= ifl->cap)
		return 0;
	room = ifl->max_records - (size_t)n;
	return room < ifl->cap - ifl->cnt ? room : ifl->cap - ifl->cnt;
}

/* A queue with deferred entries and nothing unacknowledged goes on. */
static void maybe_ready(km_inflight_t *ifl, km_ifq_t *q) {
	if (q->dhead >= 0 && !q->ready && (!q->unacked || q->stopped)) {
		q->ready = 1;
		ifl->ready[ifl->ready_cnt++] = q;
	}
}

km_entry_t *km_inflight_push(km_inflight_t *ifl, km_ifq_t *q, void *msg, int64_t offset, int64_t ts,
                             size_t bytes, size_t cost) {
	int32_t idx = ifl->free;
	km_entry_t *e = &ifl->ring[idx];

	ifl->free = e->next;
	e->next = -1;
	if (q->tail >= 0)
		ifl->ring[q->tail].next = idx;
	else
		q->head = idx;
	q->tail = idx;
	e->msg = msg;
	e->q = q;
	e->offset = offset;
	e->ts = ts;
	e->dst_offset = e->dst_first = -1;
	e->routed = 0;
	e->bytes = e->size = bytes;
	e->cost = cost;
	e->pending = 1; /* held by the batch until every record of it is produced */
	e->status = 0;
	e->mark = 0;
	ifl->cnt++;
	ifl->consumed++;
	ifl->bytes += bytes;
	if (q->dhead >= 0 || q->unacked + q->admitted >= ifl->part_cap) {
		ifl->deferred++;
		if (q->dhead < 0)
			q->dhead = idx;
		return NULL;
	}
	q->admitted += cost;
	return e;
}

void km_inflight_admitted(km_inflight_t *ifl, km_entry_t **entries, size_t n) {
	(void)ifl;
	for (size_t i = 0; i < n; i++)
		entries[i]->q->admitted = 0;
}

/* Every record made from @p e is acknowledged (or failed): its message and
 * bytes go now, not when its queue pops it, so acknowledged memory never
 * waits behind a slower entry. When it heads its queue, the queue goes on
 * the pop list. */
static void resolved(km_inflight_t *ifl, km_entry_t *e) {
	km_ifq_t *q = e->q;

	ifl->bytes -= e->bytes;
	e->bytes = 0;
	if (e->msg && ifl->release)
		ifl->release(e->msg);
	e->msg = NULL;
	if (&ifl->ring[q->head] == e && !q->popq) {
		q->popq = 1;
		ifl->popq[ifl->popq_cnt++] = q;
	}
}

void km_inflight_hold(km_inflight_t *ifl, km_entry_t *e, size_t cost) {
	(void)ifl;
	e->pending++;
	e->q->unacked += cost;
}

void km_inflight_ack(km_inflight_t *ifl, km_entry_t *e, int32_t status, int64_t dst_offset,
                     size_t cost) {
	if (status && !e->status)
		e->status = status;
	if (!status && dst_offset >= 0) {
		if (dst_offset > e->dst_offset)
			e->dst_offset = dst_offset;
		if (e->dst_first < 0 || dst_offset < e->dst_first)
			e->dst_first = dst_offset;
	}
	e->q->unacked -= cost < e->q->unacked ? cost : e->q->unacked;
	maybe_ready(ifl, e->q);
	if (--e->pending == 0)
		resolved(ifl, e);
}

void km_inflight_fail(km_inflight_t *ifl, km_entry_t *e, int32_t status) {
	if (!e->status)
		e->status = status;
	maybe_ready(ifl, e->q);
}

void km_inflight_release(km_inflight_t *ifl, km_entry_t *e) {
	/* records of it that were not sent (dropped, failed) add no window
	 * bytes and bring no acknowledgement: the queue may go on now */
	maybe_ready(ifl, e->q);
	if (--e->pending == 0)
		resolved(ifl, e);
}

void km_inflight_kick(km_inflight_t *ifl, km_ifq_t *q) {
	maybe_ready(ifl, q);
}

/* Takes @p q's head entry off its queue and gives it back to the pool. */
static void unqueue_head(km_inflight_t *ifl, km_ifq_t *q) {
	int32_t idx = q->head;
	km_entry_t *e = &ifl->ring[idx];

	if ((q->head = e->next) < 0)
		q->tail = -1;
	if (q->dhead == idx)
		q->dhead = q->head;
	if (e->msg) {
		ifl->bytes -= e->bytes;
		if (ifl->release)
			ifl->release(e->msg);
	}
	memset(e, 0, sizeof(*e));
	e->next = ifl->free;
	ifl->free = idx;
	ifl->cnt--;
}

void km_inflight_pop(km_inflight_t *ifl, km_pop_fn *visit, void *arg) {
	for (size_t i = 0; i < ifl->popq_cnt; i++) {
		km_ifq_t *q = ifl->popq[i];

		q->popq = 0;
		while (q->head >= 0) {
			km_entry_t *e = &ifl->ring[q->head];
			if (e->pending > 0 || (visit && visit(arg, e) == KM_POP_KEEP))
				break;
			unqueue_head(ifl, q);
			ifl->popped++;
		}
	}
	ifl->popq_cnt = 0;
}

size_t km_inflight_take_ready(km_inflight_t *ifl, km_entry_t **out, size_t max) {
	size_t n = 0;

	for (size_t i = 0; i < ifl->ready_cnt && n < max;) {
		km_ifq_t *q = ifl->ready[i];
		size_t budget = q->unacked < ifl->part_cap ? ifl->part_cap - q->unacked : 0;

		if (q->stopped) {
			/* nothing more goes out: the batch's hold on each goes */
			while (q->dhead >= 0) {
				km_entry_t *e = &ifl->ring[q->dhead];
				q->dhead = e->next;
				km_inflight_release(ifl, e);
			}
			budget = 0;
		}
		while (q->dhead >= 0 && budget > 0 && n < max) {
			km_entry_t *e = &ifl->ring[q->dhead];
			q->dhead = e->next;
			budget = budget > e->cost ? budget - e->cost : 0;
			out[n++] = e;
		}
		if (q->dhead < 0 || !budget) {
			q->ready = 0; /* an acknowledgement puts it back */
			ifl->ready[i] = ifl->ready[--ifl->ready_cnt];
		} else {
			i++;
		}
	}
	return n;
}

int64_t km_inflight_drop_queue(km_inflight_t *ifl, km_ifq_t *q) {
	int64_t first = q->head >= 0 ? ifl->ring[q->head].offset : -1;

	while (q->head >= 0) {
		unqueue_head(ifl, q);
		ifl->consumed--;
	}
	q->dhead = -1;
	q->unacked = q->admitted = 0;
	q->ready = 0;
	q->popq = 0;
	return first;
}

void km_inflight_clear_lists(km_inflight_t *ifl) {
	ifl->ready_cnt = 0;
	ifl->popq_cnt = 0;
}
