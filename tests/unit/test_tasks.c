/* Unit tests of the control thread's task table (core/tasks.c), with a
 * fake clock and tasks that only count. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include <cmocka.h>

#include "tasks.h"

static int64_t fake_now;

static int64_t fake_clock(void) {
	return fake_now;
}

typedef struct counter {
	int runs;
	int fail; /* fail this many more runs */
	int64_t order;
} counter_t;

static int64_t order_seq;

static km_tasks_t *running_table; /* the table whose task runs now */
static int seen_current = -2;     /* its `current` as the task saw it */

/* A failure is kept as the run's code: a timeout, as a Kafka request's. */
static km_err_t run(void *arg, int64_t now) {
	counter_t *c = arg;

	(void)now;
	if (running_table)
		seen_current = running_table->current;
	c->runs++;
	c->order = ++order_seq;
	if (c->fail > 0) {
		c->fail--;
		return KM_ERR_TIMEOUT;
	}
	return KM_OK;
}

static void init(km_tasks_t *ts) {
	km_tasks_init(ts);
	ts->clock = fake_clock;
	fake_now = 1000;
	order_seq = 0;
}

/* Tasks run when due, in table order, and again after their interval. */
static void test_intervals_and_order(void **state) {
	km_tasks_t ts;
	counter_t a = {0}, b = {0};

	(void)state;
	init(&ts);
	assert_int_equal(km_tasks_add(&ts, "a", run, &a, 5000, 0), KM_OK);
	assert_int_equal(km_tasks_add(&ts, "b", run, &b, 2000, 0), KM_OK);
	assert_int_equal(km_tasks_due(&ts, fake_now), 0);
	assert_int_equal(km_tasks_run_due(&ts, fake_now), 2);
	assert_true(a.order < b.order);
	assert_int_equal(km_tasks_due(&ts, fake_now), 2000);
	fake_now += 1999;
	assert_int_equal(km_tasks_run_due(&ts, fake_now), 0);
	fake_now += 1;
	assert_int_equal(km_tasks_run_due(&ts, fake_now), 1);
	assert_int_equal(b.runs, 2);
	assert_int_equal(a.runs, 1);
	assert_int_equal(km_tasks_due(&ts, fake_now), 2000); /* b again; a in 3000 */
	fake_now += 3000;
	assert_int_equal(km_tasks_run_due(&ts, fake_now), 2);
	assert_int_equal(a.runs, 2);
}

/* A disabled task (interval 0) never runs; with none enabled nothing is
 * due. */
static void test_disabled(void **state) {
	km_tasks_t ts;
	counter_t a = {0};

	(void)state;
	init(&ts);
	km_tasks_add(&ts, "off", run, &a, 0, 0);
	assert_int_equal(km_tasks_due(&ts, fake_now), INT64_MAX);
	assert_int_equal(km_tasks_run_due(&ts, fake_now + 1000000), 0);
	assert_int_equal(a.runs, 0);
}

/* A kicked task runs at once, whatever its interval. */
static void test_kick(void **state) {
	km_tasks_t ts;
	counter_t a = {0};

	(void)state;
	init(&ts);
	km_tasks_add(&ts, "slow", run, &a, 600000, fake_now + 600000);
	assert_int_equal(km_tasks_run_due(&ts, fake_now), 0);
	assert_int_equal(km_tasks_kick(&ts, "slow"), KM_OK);
	assert_int_equal(km_tasks_kick(&ts, "nosuch"), KM_ERR_NOENT);
	assert_int_equal(km_tasks_due(&ts, fake_now), 0);
	assert_int_equal(km_tasks_run_due(&ts, fake_now), 1);
	assert_int_equal(km_tasks_due(&ts, fake_now), 600000);
}

/* A failing task is retried after a backoff that doubles from 1 s up to
 * its interval, and back on its interval once it succeeds; the counters
 * say so. */
static void test_failure_backoff(void **state) {
	km_tasks_t ts;
	counter_t a = {.fail = 4};
	km_task_status_t st[KM_TASKS_MAX];

	(void)state;
	init(&ts);
	km_tasks_add(&ts, "flaky", run, &a, 5000, 0);
	assert_int_equal(ts.current, -1);
	running_table = &ts;
	km_tasks_run_due(&ts, fake_now);
	running_table = NULL;
	/* the task's own index while it ran, none after; its result kept */
	assert_int_equal(seen_current, 0);
	assert_int_equal(ts.current, -1);
	assert_int_equal(ts.t[0].last_err, KM_ERR_TIMEOUT);
	assert_int_equal(km_tasks_due(&ts, fake_now), 1000);
	fake_now += 1000;
	km_tasks_run_due(&ts, fake_now);
	assert_int_equal(km_tasks_due(&ts, fake_now), 2000);
	fake_now += 2000;
	km_tasks_run_due(&ts, fake_now);
	assert_int_equal(km_tasks_due(&ts, fake_now), 4000);
	fake_now += 4000;
	km_tasks_run_due(&ts, fake_now);
	assert_int_equal(km_tasks_due(&ts, fake_now), 5000); /* capped at the interval */
	fake_now += 5000;
	km_tasks_run_due(&ts, fake_now); /* succeeds */
	assert_int_equal(ts.t[0].last_err, KM_OK);
	assert_int_equal(a.runs, 5);
	assert_int_equal(km_tasks_due(&ts, fake_now), 5000);
	assert_int_equal(km_tasks_status(&ts, st, fake_clock), 1);
	assert_string_equal(st[0].name, "flaky");
	assert_int_equal(st[0].runs, 5);
	assert_int_equal(st[0].failures, 4);
	assert_int_equal(st[0].last_ms, fake_now);
}

/* The table is bounded. */
static void test_table_full(void **state) {
	km_tasks_t ts;
	counter_t a = {0};

	(void)state;
	init(&ts);
	for (int i = 0; i < KM_TASKS_MAX; i++)
		assert_int_equal(km_tasks_add(&ts, "t", run, &a, 1000, 0), KM_OK);
	assert_int_equal(km_tasks_add(&ts, "one too many", run, &a, 1000, 0), KM_ERR_NOMEM);
}

static _Atomic int stop_flag;

/* Sets the stop flag, as SIGTERM does while a task runs. */
static km_err_t run_then_stop(void *arg, int64_t now) {
	run(arg, now);
	atomic_store(&stop_flag, 1);
	return KM_OK;
}

/* Once the table's stop flag is set, no further task of the round runs:
 * a SIGTERM waits for the task running, not for every due one. */
static void test_stop_between_tasks(void **state) {
	km_tasks_t ts;
	counter_t a = {0}, b = {0}, c = {0};

	(void)state;
	init(&ts);
	atomic_store(&stop_flag, 0);
	ts.stop = &stop_flag;
	assert_int_equal(km_tasks_add(&ts, "a", run, &a, 1000, 0), KM_OK);
	assert_int_equal(km_tasks_add(&ts, "b", run_then_stop, &b, 1000, 0), KM_OK);
	assert_int_equal(km_tasks_add(&ts, "c", run, &c, 1000, 0), KM_OK);
	assert_int_equal(km_tasks_run_due(&ts, fake_now), 2);
	assert_int_equal(a.runs, 1);
	assert_int_equal(b.runs, 1);
	assert_int_equal(c.runs, 0);
	fake_now += 1000;
	assert_int_equal(km_tasks_run_due(&ts, fake_now), 0);
	/* without the flag, every due task runs */
	atomic_store(&stop_flag, 0);
	assert_int_equal(km_tasks_run_due(&ts, fake_now), 2); /* a, b; b sets it again */
	assert_int_equal(c.runs, 0);
	ts.stop = NULL;
	assert_int_equal(km_tasks_run_due(&ts, fake_now), 1);
	assert_int_equal(c.runs, 1);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_intervals_and_order),
	    cmocka_unit_test(test_disabled),
	    cmocka_unit_test(test_kick),
	    cmocka_unit_test(test_failure_backoff),
	    cmocka_unit_test(test_table_full),
	    cmocka_unit_test(test_stop_between_tasks),
	};

	return cmocka_run_group_tests_name("tasks", tests, NULL, NULL);
}
