/* A table of periodic tasks, run by one thread (a flow's control thread).
 *
 * Each task has a name, an interval and a run function. km_tasks_due()
 * says how long until the next one is due; km_tasks_run_due() runs every
 * task whose time came, in table order, and schedules it again: after its
 * interval when it succeeded, after a backoff (doubling from 1 s up to the
 * interval) when it failed. km_tasks_kick() makes a task due now (a
 * request from the data thread, a change seen by another task).
 *
 * No Kafka here: tests/unit/test_tasks.c drives it with a fake clock.
 * @locality the thread that owns the table */
#ifndef KM_TASKS_H
#define KM_TASKS_H

#include <stdint.h>

#include "kmirror/err.h"
#include "status.h"

/* Runs the task once; KM_OK, or the error that failed it (it logged why). */
typedef km_err_t(km_task_fn)(void *arg, int64_t now_ms);

typedef struct km_task {
	const char *name;
	km_task_fn *run;
	void *arg;
	int64_t interval_ms; /* 0: disabled */
	int64_t due_ms;
	int64_t backoff_ms;
	uint64_t runs, failures;
	int64_t last_ms, took_ms;
	km_err_t last_err; /* what its last run returned */
} km_task_t;

typedef struct km_tasks {
	km_task_t t[KM_TASKS_MAX];
	size_t cnt;
	int current;            /* the task running now, -1: none */
	int64_t (*clock)(void); /* monotonic ms; km_mono_ms unless a test sets it */
	/* when set and non-zero, km_tasks_run_due runs no further task: a
	 * round of tasks that each wait up to an admin time-out must not
	 * hold a SIGTERM back for all of them */
	const _Atomic int *stop;
	/* called before each task that runs (NULL: none): the owner's chance to
	 * take urgent work between long tasks */
	void (*between)(void *arg);
	void *between_arg;
} km_tasks_t;

void km_tasks_init(km_tasks_t *ts);
/* Adds a task, first due at @p first_ms. KM_ERR_NOMEM when the table is
 * full (KM_TASKS_MAX). */
km_err_t km_tasks_add(km_tasks_t *ts, const char *name, km_task_fn *run, void *arg,
                      int64_t interval_ms, int64_t first_ms);
/* Milliseconds until the next task is due at @p now_ms (0: one is due;
 * INT64_MAX: none is enabled). */
int64_t km_tasks_due(const km_tasks_t *ts, int64_t now_ms);
/* Runs the tasks due at @p now_ms; returns how many ran. */
int km_tasks_run_due(km_tasks_t *ts, int64_t now_ms);
/* Makes the task named @p name due at once; KM_ERR_NOENT when there is
 * none. */
km_err_t km_tasks_kick(km_tasks_t *ts, const char *name);
/* Copies the tasks' counters into @p out (KM_TASKS_MAX entries). */
size_t km_tasks_status(const km_tasks_t *ts, km_task_status_t *out, int64_t (*wall)(void));

#endif
