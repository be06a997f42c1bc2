/* Records that wait for the target: a record for a topic or partition
 * the target does not have yet waits on its source partition, with every
 * later record of that partition behind it (order is kept), while the
 * other partitions go on. The control thread is asked to create the topic
 * (task_routes.c); the partition retries with a backoff, each retry
 * refreshing its producer's metadata without waiting. The records are
 * copied to the heap: a rare path, bounded by the in-flight pool, since
 * their entries stay held.
 * @locality data thread */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "flow_int.h"
#include "log.h"

#define KM_HELD_BACKOFF_MIN_MS 100
#define KM_HELD_BACKOFF_MAX_MS 2000

/* A record the target cannot take yet (unknown topic or partition): it
 * waits, with every later record of its source partition, in order. */
typedef struct km_held {
	struct km_held *next;
	km_entry_t *e; /* NULL: a record with no source (a stage's timer) */
	char *topic;
	int32_t partition;
	void *key, *val;
	size_t key_len, val_len;
	int64_t ts;
	rd_kafka_headers_t *hdrs;
	size_t cost;
	unsigned flags; /* KM_SEND_*: for the dead-letter topic, the partition
	                   (-1 here) is chosen when it is sent */
} km_held_t;

static void *dup_bytes(const void *p, size_t len) {
	void *c;

	if (!p)
		return NULL;
	if (!(c = malloc(len ? len : 1)))
		abort(); /* a rare path; the pool bounds how many */
	memcpy(c, p, len);
	return c;
}

static void held_free(km_held_t *h) {
	free(h->topic);
	free(h->key);
	free(h->val);
	if (h->hdrs)
		rd_kafka_headers_destroy(h->hdrs);
	free(h);
}

void km_copy_drop_held(km_flow_t *f, km_part_t *p) {
	for (km_held_t *h = p->held, *next; h; h = next) {
		next = h->next;
		held_free(h);
	}
	p->held = NULL;
	p->held_tail = &p->held;
	p->held_cnt = 0;
	if (!strncmp(p->reason, "waiting for", 11))
		km_part_set_reason(p, "%s", "");
	if (p->held_paused) {
		p->held_paused = 0;
		if (p->state == KM_PART_ACTIVE)
			km_part_resume(f, p);
	}
}

/* Asks the control thread to make sure the target has @p topic. */
void km_wait_request_topic(km_flow_t *f, km_part_t *p, const char *topic, int32_t partition) {
	km_req_t *r = calloc(1, sizeof(*r));

	if (!r || !(r->topic = strdup(topic)))
		abort();
	r->type = KM_REQ_TOPIC;
	r->partition = partition;
	r->src_cnt = p ? p->st->cnt : 0;
	km_flow_send_req(f, r);
}

/* The reason of a partition whose record waits for @p topic. */
static void wait_reason(km_part_t *p, const char *topic, int32_t partition) {
	if (partition < 0)
		km_part_set_reason(p, "waiting for the target to have topic %s", topic);
	else
		km_part_set_reason(p, "waiting for the target to have topic %s partition %d", topic,
		                   partition);
}

void km_wait_hold(km_flow_t *f, km_part_t *p, km_entry_t *e, const char *topic, int32_t partition,
                  const void *key, size_t key_len, const void *val, size_t val_len, int64_t ts,
                  rd_kafka_headers_t *hdrs, size_t cost, unsigned flags) {
	km_data_t *d = &f->d;
	km_held_t *h = calloc(1, sizeof(*h));

	if (!h || !(h->topic = strdup(topic)))
		abort();
	h->e = e;
	h->partition = partition;
	h->key = dup_bytes(key, key_len);
	h->key_len = key_len;
	h->val = dup_bytes(val, val_len);
	h->val_len = val_len;
	h->ts = ts;
	h->hdrs = hdrs;
	h->cost = cost;
	h->flags = flags;
	if (!p->held_tail)
		p->held_tail = &p->held;
	*p->held_tail = h;
	p->held_tail = &h->next;
	p->held_cnt++;
	if (e)
		km_inflight_hold(&d->ifl, e, 0); /* the record is not done until sent */
	if (!p->held_listed) {
		p->held_listed = 1;
		p->held_backoff_ms = KM_HELD_BACKOFF_MIN_MS;
		p->held_retry_ms = km_mono_ms() + p->held_backoff_ms;
		d->heldq[d->heldq_cnt++] = p;
		wait_reason(p, topic, partition);
		km_wait_request_topic(f, p, topic, partition);
		/* No more records of it are fetched meanwhile: those in flight
		 * already are the most it holds (their copies are not counted
		 * against max.inflight.bytes). */
		if (!p->held_paused && p->state == KM_PART_ACTIVE) {
			p->held_paused = 1;
			km_part_pause(f, p);
		}
	}
}

/* 1 when the target is known to lack @p topic or its @p partition (-1:
 * any). A partition's own mirror topic is not looked up: its partitions
 * are handed over only once the target has them. */
int km_wait_lacks(km_flow_t *f, const km_part_t *p, const char *topic, int32_t partition) {
	int32_t cnt;

	if (p && (topic == p->st->target || !strcmp(topic, p->st->target)))
		return 0;
	cnt = km_tmeta_partitions(f->d.tmeta, topic);
	return cnt == 0 || (cnt > 0 && partition >= cnt);
}

/* Takes the held record at @p at off @p p's list (it was sent: the
 * record's hold goes; or @p err fails it for good). */
static void held_done(km_flow_t *f, km_part_t *p, km_held_t **at, int32_t err) {
	km_held_t *h = *at;

	if (!(*at = h->next))
		p->held_tail = at;
	p->held_cnt--;
	if (h->e) {
		if (err)
			km_copy_send_failed(f, h->e, err, h->flags, h->hdrs);
		km_inflight_release(&f->d.ifl, h->e); /* the hold taken in km_wait_hold */
	}
	h->hdrs = err ? h->hdrs : NULL; /* handed over when sent */
	held_free(h);
}

/* No record of @p p waits any more: it is fetched again. */
static void held_cleared(km_flow_t *f, km_part_t *p) {
	if (p->state == KM_PART_ACTIVE && !strncmp(p->reason, "waiting for", 11))
		km_part_set_reason(p, "%s", "");
	if (p->held_paused) {
		p->held_paused = 0;
		if (p->state == KM_PART_ACTIVE)
			km_part_resume(f, p);
	}
}

/* Tries the held records of @p p, in order. */
static void retry_part(km_flow_t *f, km_part_t *p, int64_t now) {
	while (p->held) {
		km_held_t *h = p->held;
		int dlq = h->flags & KM_SEND_DEAD_LETTER;
		int32_t part = dlq ? km_copy_dead_letter_partition(f, p) : h->partition;
		int rc = (dlq ? part < 0 : km_wait_lacks(f, p, h->topic, h->partition))
		             ? 1
		             : km_copy_send(f, h->e, p->conn, km_copy_rkt(f, h->topic, p, p->conn),
		                            part, h->key, h->key_len, h->val, h->val_len, h->ts,
		                            h->hdrs, h->cost, h->flags);
		if (rc == 1) {
			if (p->held_backoff_ms < KM_HELD_BACKOFF_MAX_MS)
				p->held_backoff_ms *= 2;
			p->held_retry_ms = now + p->held_backoff_ms;
			/* asked again, in case the answer was for another record:
			 * the control thread merges what it is asked twice */
			wait_reason(p, h->topic, h->partition);
			km_wait_request_topic(f, p, h->topic, h->partition);
			return;
		}
		/* sent, with the payload copied (it is the held copy), or failed
		 * for good (km_copy_send failed the entry and freed the headers) */
		h->hdrs = NULL;
		held_done(f, p, &p->held, 0);
	}
	held_cleared(f, p);
}

void km_copy_retry_held(km_flow_t *f, int64_t now) {
	km_data_t *d = &f->d;

	for (size_t i = 0; i < d->heldq_cnt;) {
		km_part_t *p = d->heldq[i];
		if (p->held && now >= p->held_retry_ms && !d->copying)
			retry_part(f, p, now);
		if (!p->held) {
			p->held_listed = 0;
			d->heldq[i] = d->heldq[--d->heldq_cnt];
		} else {
			i++;
		}
	}
}

void km_copy_no_partition(km_flow_t *f, const char *topic, int32_t cnt) {
	km_data_t *d = &f->d;

	for (size_t i = 0; i < d->heldq_cnt; i++) {
		km_part_t *p = d->heldq[i];
		for (km_held_t **at = &p->held; *at;) {
			km_held_t *h = *at;
			if (strcmp(h->topic, topic) || (cnt > 0 && h->partition < cnt)) {
				at = &h->next;
				continue;
			}
			km_warn("flow %s: %s [%d]: a record routed to %s partition %d, which the "
			        "target does not have (%d partitions)",
			        f->name, p->st->name, p->partition, topic, h->partition, cnt);
			held_done(f, p, at, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION);
		}
		p->held_retry_ms = 0; /* the rest goes on at once */
		if (!p->held)
			held_cleared(f, p);
	}
}
