/* A table of periodic tasks. See tasks.h. */
#include "config.h"

#include <stdatomic.h>
#include <string.h>

#include "tasks.h"

#define KM_TASK_BACKOFF_MIN_MS 1000

void km_tasks_init(km_tasks_t *ts) {
	memset(ts, 0, sizeof(*ts));
	ts->clock = km_mono_ms;
	ts->current = -1;
}

km_err_t km_tasks_add(km_tasks_t *ts, const char *name, km_task_fn *run, void *arg,
                      int64_t interval_ms, int64_t first_ms) {
	km_task_t *t;

	if (ts->cnt == KM_TASKS_MAX)
		return KM_ERR_NOMEM;
	t = &ts->t[ts->cnt++];
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->run = run;
	t->arg = arg;
	t->interval_ms = interval_ms;
	t->due_ms = first_ms;
	return KM_OK;
}

int64_t km_tasks_due(const km_tasks_t *ts, int64_t now_ms) {
	int64_t best = INT64_MAX;

	for (size_t i = 0; i < ts->cnt; i++) {
		const km_task_t *t = &ts->t[i];
		int64_t in;
		if (t->interval_ms <= 0)
			continue;
		in = t->due_ms > now_ms ? t->due_ms - now_ms : 0;
		if (in < best)
			best = in;
	}
	return best;
}

int km_tasks_run_due(km_tasks_t *ts, int64_t now_ms) {
	int ran = 0;

	for (size_t i = 0; i < ts->cnt; i++) {
		km_task_t *t = &ts->t[i];
		int64_t t0, end;
		km_err_t err;

		if (t->interval_ms <= 0 || t->due_ms > now_ms)
			continue;
		if (ts->stop && atomic_load(ts->stop))
			break;
		if (ts->between)
			ts->between(ts->between_arg);
		t0 = ts->clock();
		ts->current = (int)i;
		err = t->run(t->arg, now_ms);
		ts->current = -1;
		end = ts->clock();
		t->runs++;
		t->last_err = err;
		t->took_ms = end - t0;
		t->last_ms = end;
		if (err != KM_OK) {
			t->failures++;
			t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : KM_TASK_BACKOFF_MIN_MS;
			if (t->backoff_ms > t->interval_ms)
				t->backoff_ms = t->interval_ms;
			t->due_ms = end + t->backoff_ms;
		} else {
			t->backoff_ms = 0;
			t->due_ms = end + t->interval_ms;
		}
		ran++;
	}
	return ran;
}

km_err_t km_tasks_kick(km_tasks_t *ts, const char *name) {
	for (size_t i = 0; i < ts->cnt; i++) {
		if (!strcmp(ts->t[i].name, name)) {
			ts->t[i].due_ms = 0;
			return KM_OK;
		}
	}
	return KM_ERR_NOENT;
}

size_t km_tasks_status(const km_tasks_t *ts, km_task_status_t *out, int64_t (*wall)(void)) {
	int64_t skew = wall() - ts->clock(); /* last_ms is monotonic */

	for (size_t i = 0; i < ts->cnt; i++) {
		const km_task_t *t = &ts->t[i];
		out[i] = (km_task_status_t){
		    .name = t->name,
		    .runs = t->runs,
		    .failures = t->failures,
		    .last_ms = t->runs ? t->last_ms + skew : 0,
		    .took_ms = t->took_ms,
		};
	}
	return ts->cnt;
}
