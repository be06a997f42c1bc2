/* libFuzzer target of the REST API's router (core/rest_router.c): the
 * input is METHOD \0 PATH \0 AUTHORIZATION \0 BODY, routed against a
 * synthetic flow of a few partitions, with and without a token, on a
 * loopback and a non-loopback listener. Whatever comes in, the router
 * answers with a status in 200..599 and, for errors, a JSON body. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rest.h"

static km_flow_status_t flow;
static km_mstate_view_t states[2] = {
    {.topic = "orders",
     .target = "a.orders",
     .state = "PROMOTING",
     .by = "promote",
     .detail = "catching up"},
    {.topic = "gone", .target = "a.gone", .state = "STOPPED", .by = "failover"}};

static void init(void) {
	km_data_status_t *d = &flow.data;
	size_t t = km_data_status_str(d, "orders"), tt = km_data_status_str(d, "a.orders");

	flow.name = "ab";
	flow.source = "a";
	flow.target = "b";
	flow.state = "running";
	for (int i = 0; i < 4; i++) {
		km_part_status_t *p = km_data_status_add(d);
		p->topic = t;
		p->target = tt;
		p->partition = i;
		p->lag = i;
		p->next_ts = -1;
		p->reason = i == 2 ? km_data_status_str(d, "stopped: \"quoted\"\n") : 0;
	}
	d->part_cnt = 4;
	d->topics = 1;
	flow.states = states;
	flow.state_cnt = 2;
}

static int ctx_flow(void *arg, size_t i, km_rest_visit_fn *fn, void *fnarg) {
	(void)arg;
	if (i)
		return 0;
	fn(&flow, fnarg);
	return 1;
}

static int ctx_reload(void *arg, char *msg, size_t size) {
	(void)arg;
	(void)msg;
	(void)size;
	return 0;
}

/* A flow's answer to a mirror-topic command: the topic named, its state
 * moved; an unknown flow is not there. */
static int ctx_command(void *arg, const char *f, const char *cmd, const char *topic, int force,
                       int grant_write, km_cmd_answer_t *ans) {
	(void)arg;
	(void)force;
	(void)grant_write;
	if (strcmp(f, "ab"))
		return -1;
	memset(ans, 0, sizeof(*ans));
	if (!(ans->topics = calloc(1, sizeof(*ans->topics))))
		abort();
	ans->cnt = ans->cap = 1;
	strncpy(ans->topics[0].topic, topic ? topic : "orders", sizeof(ans->topics[0].topic) - 1);
	ans->topics[0].from = "ACTIVE";
	ans->topics[0].to = "PAUSED";
	ans->status = ans->topics[0].status = !strcmp(cmd, "resume") ? 409 : 200;
	strncpy(ans->msg, cmd, sizeof(ans->msg) - 1);
	return 0;
}

static char *ctx_config(void *arg) {
	(void)arg;
	return strdup("{}");
}

static int ctx_auth(void *arg, const char *presented) {
	if (!arg)
		return -1;
	return presented && km_rest_token_equal(presented, "tok");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static int ready;
	char *buf, *f[4];
	size_t n = 0;
	km_rest_reply_t r;

	if (!ready) {
		init();
		ready = 1;
	}
	if (!(buf = malloc(size + 4)))
		return 0;
	memcpy(buf, data, size);
	memset(buf + size, 0, 4);
	f[0] = buf;
	for (size_t i = 0; i < size && n < 3; i++)
		if (!buf[i])
			f[++n] = buf + i + 1;
	while (n < 3)
		f[++n] = buf + size;
	for (int mode = 0; mode < 2; mode++) {
		km_rest_ctx_t ctx = {.flow = ctx_flow,
		                     .reload = ctx_reload,
		                     .command = ctx_command,
		                     .config_json = ctx_config,
		                     .auth = ctx_auth,
		                     .arg = mode ? &flow : NULL,
		                     .loopback = !mode};
		const char *body = f[3];
		size_t blen = (size_t)(buf + size - body);
		km_rest_route(&ctx, f[0], f[1], *f[2] ? f[2] : NULL, body, blen, &r);
		if (r.status < 200 || r.status > 599)
			abort();
		if (r.status >= 400 && r.status != 500 && (!r.body || r.body[0] != '{'))
			abort();
		free(r.body);
	}
	free(buf);
	return 0;
}
