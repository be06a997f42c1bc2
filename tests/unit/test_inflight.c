/* Unit tests of the in-flight accounting (core/inflight.c), without
 * brokers: messages are plain counters, released through the pool's
 * callback, so every test also checks that each is let go exactly once. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "inflight.h"

static int released[64];

/* Message i is the pointer value i + 1 (never NULL). */
static void release(void *msg) {
	released[(intptr_t)msg - 1]++;
}

static void *msg(int i) {
	return (void *)(intptr_t)(i + 1);
}

static int setup(void **state) {
	memset(released, 0, sizeof(released));
	*state = NULL;
	return 0;
}

/* What a visitor saw, in order. */
typedef struct seen {
	int64_t offsets[64];
	size_t cnt;
	int64_t keep_offset; /* KM_POP_KEEP for this one; -1: none */
} seen_t;

static int visit(void *arg, km_entry_t *e) {
	seen_t *s = arg;

	if (e->offset == s->keep_offset)
		return KM_POP_KEEP;
	s->offsets[s->cnt++] = e->offset;
	return KM_POP_TAKE;
}

static km_entry_t *push(km_inflight_t *ifl, km_ifq_t *q, int i, int64_t offset) {
	return km_inflight_push(ifl, q, msg(i), offset, 1000 + offset, 10, 0);
}

/* Entries resolve out of order; each queue pops only its resolved head
 * entries, in order, and a slow queue holds back nobody else. */
static void test_pop_in_order_per_queue(void **state) {
	km_inflight_t ifl;
	km_ifq_t a, b;
	km_entry_t *e[6];
	seen_t s = {.keep_offset = -1};

	(void)state;
	assert_int_equal(km_inflight_init(&ifl, 16, 1 << 20, SIZE_MAX, release), KM_OK);
	assert_int_equal(km_inflight_reserve(&ifl, 2), KM_OK);
	km_ifq_init(&a, NULL);
	km_ifq_init(&b, NULL);
	for (int i = 0; i < 3; i++) {
		e[i] = push(&ifl, &a, i, 10 + i);
		e[3 + i] = push(&ifl, &b, 3 + i, 20 + i);
		assert_non_null(e[i]);
		assert_non_null(e[3 + i]);
	}
	assert_int_equal(ifl.cnt, 6);
	assert_int_equal(km_inflight_count(&ifl), 6);
	assert_int_equal(ifl.bytes, 60);
	/* every entry produced once, the batch's hold dropped */
	for (int i = 0; i < 6; i++) {
		km_inflight_hold(&ifl, e[i], 0);
		km_inflight_release(&ifl, e[i]);
	}
	/* a's second and b's first are acknowledged: only b pops */
	km_inflight_ack(&ifl, e[1], 0, 501, 0);
	km_inflight_ack(&ifl, e[3], 0, 700, 0);
	assert_int_equal(released[1], 1); /* let go at once, not when popped */
	km_inflight_pop(&ifl, visit, &s);
	assert_int_equal(s.cnt, 1);
	assert_int_equal(s.offsets[0], 20);
	assert_int_equal(ifl.popped, 1);
	/* a's head comes: a pops both, in order */
	km_inflight_ack(&ifl, e[0], 0, 500, 0);
	km_inflight_pop(&ifl, visit, &s);
	assert_int_equal(s.cnt, 3);
	assert_int_equal(s.offsets[1], 10);
	assert_int_equal(s.offsets[2], 11);
	assert_int_equal(ifl.cnt, 3);
	assert_int_equal(ifl.bytes, 30);
	/* the rest */
	km_inflight_ack(&ifl, e[2], 0, 502, 0);
	km_inflight_ack(&ifl, e[5], 0, 702, 0);
	km_inflight_ack(&ifl, e[4], 0, 701, 0);
	km_inflight_pop(&ifl, visit, &s);
	assert_int_equal(s.cnt, 6);
	assert_int_equal(s.offsets[5], 22);
	assert_int_equal(ifl.cnt, 0);
	assert_int_equal(ifl.bytes, 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(released[i], 1);
	/* popped is not stored: the bound counts until progress is stored */
	assert_int_equal(km_inflight_count(&ifl), 6);
	ifl.stored = ifl.popped;
	assert_int_equal(km_inflight_count(&ifl), 0);
	km_inflight_free(&ifl);
}

/* An entry with several produce requests resolves with the last report;
 * its first failure is kept, and the target offset of the last success. */
static void test_several_requests_and_failure(void **state) {
	km_inflight_t ifl;
	km_ifq_t q;
	km_entry_t *e;
	seen_t s = {.keep_offset = -1};

	(void)state;
	assert_int_equal(km_inflight_init(&ifl, 4, 1 << 20, SIZE_MAX, release), KM_OK);
	assert_int_equal(km_inflight_reserve(&ifl, 1), KM_OK);
	km_ifq_init(&q, NULL);
	e = push(&ifl, &q, 7, 5);
	km_inflight_hold(&ifl, e, 0);
	km_inflight_hold(&ifl, e, 0);
	km_inflight_release(&ifl, e);
	km_inflight_ack(&ifl, e, 0, 40, 0);
	km_inflight_pop(&ifl, visit, &s);
	assert_int_equal(s.cnt, 0); /* one request still out */
	assert_int_equal(released[7], 0);
	km_inflight_ack(&ifl, e, 10, -1, 0);
	assert_int_equal(e->status, 10);
	assert_int_equal(e->dst_offset, 40);
	assert_int_equal(released[7], 1);
	/* the visitor may keep it (a producer rebuild): it stays queued */
	s.keep_offset = 5;
	km_inflight_pop(&ifl, visit, &s);
	assert_int_equal(ifl.cnt, 1);
	/* a record that failed before it was sent: no report comes */
	km_inflight_fail(&ifl, e, 3);
	assert_int_equal(e->status, 10); /* the first failure stays */
	km_inflight_free(&ifl);
	assert_int_equal(released[7], 1);
}

/* The bounds: records (consumed - stored) and bytes held. */
static void test_room_and_bounds(void **state) {
	km_inflight_t ifl;
	km_ifq_t q;

	(void)state;
	assert_int_equal(km_inflight_init(&ifl, 4, 25, SIZE_MAX, release), KM_OK);
	assert_int_equal(km_inflight_reserve(&ifl, 1), KM_OK);
	km_ifq_init(&q, NULL);
	assert_int_equal(km_inflight_room(&ifl), 4);
	push(&ifl, &q, 0, 0);
	assert_int_equal(km_inflight_room(&ifl), 3);
	push(&ifl, &q, 1, 1);
	push(&ifl, &q, 2, 2); /* 30 bytes held: over the bytes bound */
	assert_int_equal(km_inflight_room(&ifl), 0);
	km_inflight_free(&ifl);
	assert_int_equal(released[0] + released[1] + released[2], 3);
	assert_int_equal(km_inflight_init(&ifl, 0, 25, SIZE_MAX, release), KM_ERR_INVALID);
	assert_int_equal(km_inflight_init(&ifl, (size_t)INT32_MAX + 1, 25, SIZE_MAX, release),
	                 KM_ERR_INVALID);
}

/* The window: past part_cap unacknowledged bytes, a queue defers its
 * entries in order; acknowledgements make it ready, and take_ready hands
 * the deferred entries out within its budget. */
static void test_window_defers_and_goes_on(void **state) {
	km_inflight_t ifl;
	km_ifq_t q;
	km_entry_t *e0, *out[8];
	size_t n;

	(void)state;
	assert_int_equal(km_inflight_init(&ifl, 8, 1 << 20, 100, release), KM_OK);
	assert_int_equal(km_inflight_reserve(&ifl, 1), KM_OK);
	km_ifq_init(&q, NULL);
	e0 = km_inflight_push(&ifl, &q, msg(0), 0, 0, 10, 60);
	assert_non_null(e0);
	km_inflight_hold(&ifl, e0, 120); /* the window is full now */
	km_inflight_release(&ifl, e0);
	for (int i = 1; i <= 4; i++)
		assert_null(km_inflight_push(&ifl, &q, msg(i), i, 0, 10, 60));
	assert_int_equal(ifl.deferred, 4);
	assert_int_equal(km_inflight_take_ready(&ifl, out, 8), 0); /* not ready */
	km_inflight_ack(&ifl, e0, 0, 1, 120);
	assert_int_equal(ifl.ready_cnt, 1);
	/* budget 100: the first two (60 + 60 > 100 stops after the second) */
	n = km_inflight_take_ready(&ifl, out, 8);
	assert_int_equal(n, 2);
	assert_int_equal(out[0]->offset, 1);
	assert_int_equal(out[1]->offset, 2);
	assert_int_equal(ifl.ready_cnt, 0);
	/* a stopped queue's deferred entries are released, not handed out */
	q.stopped = 1;
	km_inflight_hold(&ifl, out[0], 60);
	km_inflight_release(&ifl, out[0]);
	km_inflight_release(&ifl, out[1]);
	km_inflight_ack(&ifl, out[0], 0, 2, 60);
	assert_int_equal(km_inflight_take_ready(&ifl, out, 8), 0);
	assert_int_equal(released[3] + released[4], 2);
	km_inflight_free(&ifl);
}

/* One admission of many entries of a queue: the window counts what was
 * pushed before it, so only the first batch's worth goes out, and the
 * reservation ends once they are handed to be produced. */
static void test_window_within_one_admission(void **state) {
	km_inflight_t ifl;
	km_ifq_t q, other;
	km_entry_t *e[6], *out[8];

	(void)state;
	assert_int_equal(km_inflight_init(&ifl, 8, 1 << 20, 100, release), KM_OK);
	assert_int_equal(km_inflight_reserve(&ifl, 2), KM_OK);
	km_ifq_init(&q, NULL);
	km_ifq_init(&other, NULL);
	for (int i = 0; i < 5; i++)
		e[i] = km_inflight_push(&ifl, &q, msg(i), i, 0, 10, 40);
	/* 40 + 40 + 40 reaches 100 only after the third: the last two wait */
	assert_non_null(e[0]);
	assert_non_null(e[1]);
	assert_non_null(e[2]);
	assert_null(e[3]);
	assert_null(e[4]);
	assert_int_equal(ifl.deferred, 2);
	/* another queue's window is its own */
	e[5] = km_inflight_push(&ifl, &other, msg(5), 0, 0, 10, 40);
	assert_non_null(e[5]);
	km_inflight_admitted(&ifl, e, 3);
	km_inflight_admitted(&ifl, &e[5], 1);
	assert_int_equal(q.admitted, 0);
	assert_int_equal(other.admitted, 0);
	for (int i = 0; i < 3; i++) {
		km_inflight_hold(&ifl, e[i], 40);
		km_inflight_release(&ifl, e[i]);
	}
	km_inflight_hold(&ifl, e[5], 40);
	km_inflight_release(&ifl, e[5]);
	/* acknowledged, the queue hands out the two it kept back */
	for (int i = 0; i < 3; i++)
		km_inflight_ack(&ifl, e[i], 0, i, 40);
	assert_int_equal(km_inflight_take_ready(&ifl, out, 8), 2);
	assert_int_equal(out[0]->offset, 3);
	assert_int_equal(out[1]->offset, 4);
	km_inflight_release(&ifl, out[0]);
	km_inflight_release(&ifl, out[1]);
	km_inflight_ack(&ifl, e[5], 0, 0, 40);
	km_inflight_pop(&ifl, NULL, NULL);
	assert_int_equal(ifl.cnt, 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(released[i], 1);
	km_inflight_free(&ifl);
}

/* Deferred entries handed out and then not sent at all (a stage dropped
 * them): no acknowledgement will come, yet the queue goes on; and a queue
 * that stops lets its deferred entries go without an acknowledgement. */
static void test_window_goes_on_without_acks(void **state) {
	km_inflight_t ifl;
	km_ifq_t q;
	km_entry_t *e0, *out[8];
	seen_t s = {.keep_offset = -1};

	(void)state;
	assert_int_equal(km_inflight_init(&ifl, 8, 1 << 20, 100, release), KM_OK);
	assert_int_equal(km_inflight_reserve(&ifl, 1), KM_OK);
	km_ifq_init(&q, NULL);
	e0 = km_inflight_push(&ifl, &q, msg(0), 0, 0, 10, 60);
	km_inflight_hold(&ifl, e0, 120);
	km_inflight_release(&ifl, e0);
	for (int i = 1; i <= 5; i++)
		assert_null(km_inflight_push(&ifl, &q, msg(i), i, 0, 10, 60));
	km_inflight_ack(&ifl, e0, 0, 1, 120);
	assert_int_equal(km_inflight_take_ready(&ifl, out, 8), 2);
	/* both dropped: released with nothing produced */
	km_inflight_release(&ifl, out[0]);
	km_inflight_release(&ifl, out[1]);
	assert_int_equal(ifl.ready_cnt, 1);
	assert_int_equal(km_inflight_take_ready(&ifl, out, 8), 2);
	assert_int_equal(out[0]->offset, 3);
	/* the queue stops: its last deferred entry goes at the next take */
	q.stopped = 1;
	km_inflight_release(&ifl, out[0]);
	km_inflight_release(&ifl, out[1]);
	km_inflight_kick(&ifl, &q);
	assert_int_equal(km_inflight_take_ready(&ifl, out, 8), 0);
	km_inflight_pop(&ifl, visit, &s);
	assert_int_equal(s.cnt, 6);
	assert_int_equal(ifl.cnt, 0);
	for (int i = 0; i <= 5; i++)
		assert_int_equal(released[i], 1);
	km_inflight_free(&ifl);
}

/* A rebuild drops every queued entry: it counts as never consumed, and the
 * first offset tells where the partition goes again. */
static void test_drop_queue(void **state) {
	km_inflight_t ifl;
	km_ifq_t q, empty;

	(void)state;
	assert_int_equal(km_inflight_init(&ifl, 8, 1 << 20, SIZE_MAX, release), KM_OK);
	assert_int_equal(km_inflight_reserve(&ifl, 2), KM_OK);
	km_ifq_init(&q, NULL);
	km_ifq_init(&empty, NULL);
	for (int i = 0; i < 3; i++)
		push(&ifl, &q, i, 42 + i);
	assert_int_equal(km_inflight_drop_queue(&ifl, &q), 42);
	assert_int_equal(km_inflight_drop_queue(&ifl, &empty), -1);
	assert_int_equal(ifl.cnt, 0);
	assert_int_equal(ifl.consumed, 0);
	assert_int_equal(ifl.bytes, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(released[i], 1);
	/* the pool is whole again */
	for (int i = 0; i < 8; i++)
		assert_non_null(push(&ifl, &q, 10 + i, i));
	assert_int_equal(km_inflight_room(&ifl), 0);
	km_inflight_free(&ifl);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_pop_in_order_per_queue, setup),
	    cmocka_unit_test_setup(test_several_requests_and_failure, setup),
	    cmocka_unit_test_setup(test_room_and_bounds, setup),
	    cmocka_unit_test_setup(test_window_defers_and_goes_on, setup),
	    cmocka_unit_test_setup(test_window_within_one_admission, setup),
	    cmocka_unit_test_setup(test_window_goes_on_without_acks, setup),
	    cmocka_unit_test_setup(test_drop_queue, setup),
	};

	return cmocka_run_group_tests_name("inflight", tests, NULL, NULL);
}
