/* Shared bits of the test plugins (tests/plugins/): a topic filter that
 * accepts every topic, for descriptors that must otherwise be valid. Test
 * code only; each plugin is its own module. */
#ifndef KM_TESTS_TP_COMMON_H
#define KM_TESTS_TP_COMMON_H

#include <kmirror/plugin.h>

__attribute__((unused)) static km_err_t tp_create(const km_host_api_t *host, km_ctx_t *ctx,
                                                  const km_params_t *params, void **instp,
                                                  char *errstr, size_t errstr_size) {
	(void)host;
	(void)ctx;
	(void)params;
	(void)errstr;
	(void)errstr_size;
	*instp = NULL;
	return KM_OK;
}

__attribute__((unused)) static km_filter_result_t tp_filter(void *inst, const char *topic) {
	(void)inst;
	return topic[0] == 'y' ? KM_FILTER_ACCEPT : KM_FILTER_REJECT;
}

__attribute__((unused)) static const km_topic_filter_ops_t tp_filter_ops = {
    KM_OPS(km_topic_filter_ops_t), .filter = tp_filter};

/* A group filter that accepts the groups whose id starts with 'y', and a
 * config-property filter that keeps the properties starting with 'x' off
 * the target. */
__attribute__((unused)) static km_filter_result_t tp_group_filter(void *inst, const char *group) {
	(void)inst;
	return group[0] == 'y' ? KM_FILTER_ACCEPT : KM_FILTER_REJECT;
}

__attribute__((unused)) static km_filter_result_t tp_config_filter(void *inst, const char *topic,
                                                                   const char *name) {
	(void)inst;
	(void)topic;
	return name[0] == 'x' ? KM_FILTER_REJECT : KM_FILTER_ACCEPT;
}

/* A record stage that changes nothing. */
__attribute__((unused)) static km_stage_action_t tp_process(void *inst, km_batch_t *batch,
                                                            char *errstr, size_t errstr_size) {
	(void)inst;
	(void)batch;
	(void)errstr;
	(void)errstr_size;
	return KM_STAGE_OK;
}

#endif
