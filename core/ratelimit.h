/* A log rate limit: at most `burst` lines per window; the lines beyond are
 * counted, and the count is said once when the window ends. For messages
 * that can come once per record (a skipped record), so that a bad run of
 * records does not flood the log.
 * @locality the thread that owns the limiter */
#ifndef KM_RATELIMIT_H
#define KM_RATELIMIT_H

#include <stdint.h>

typedef struct km_ratelimit {
	int64_t window_ms;   /* the window's length */
	int burst;           /* lines allowed per window */
	int64_t start_ms;    /* when the current window began (0: none yet) */
	int used;            /* lines logged in it */
	uint64_t suppressed; /* lines not logged in it */
} km_ratelimit_t;

#define KM_RATELIMIT_INIT(window, lines)                                                           \
	{ .window_ms = (window), .burst = (lines) }

/* Ends the window when it is over: returns how many lines it held back (0
 * when none, or when the window goes on), for the caller to say once. */
static inline uint64_t km_ratelimit_roll(km_ratelimit_t *rl, int64_t now_ms) {
	uint64_t held = 0;

	if (!rl->start_ms || now_ms - rl->start_ms >= rl->window_ms) {
		held = rl->suppressed;
		rl->start_ms = now_ms;
		rl->used = 0;
		rl->suppressed = 0;
	}
	return held;
}

/* Whether a line may be logged now; when not, it is counted. Call
 * km_ratelimit_roll first (its count belongs to the window before). */
static inline int km_ratelimit_allow(km_ratelimit_t *rl) {
	if (rl->used < rl->burst) {
		rl->used++;
		return 1;
	}
	rl->suppressed++;
	return 0;
}

#endif
