/* Whole-match regular expressions (see transform_regex.h). */
#include <stdio.h>

#include "transform_regex.h"

km_err_t tx_regex_compile(tx_regex_t *re, const km_host_api_t *host, km_ctx_t *ctx,
                          const char *name, const char *pattern, tx_regex_mode_t mode,
                          const char *what, char *errstr, size_t errstr_size) {
	uint32_t opts = PCRE2_ANCHORED | PCRE2_ENDANCHORED;
	int errcode;
	PCRE2_SIZE erroff;
	PCRE2_UCHAR msg[256];

	re->txr_code = NULL;
	re->txr_md = NULL;
	re->txr_groups = 0;
	if (mode == TX_REGEX_TEXT) {
		opts |= PCRE2_UTF;
#ifdef PCRE2_MATCH_INVALID_UTF /* older: a subject that is not UTF-8 fails the check */
		opts |= PCRE2_MATCH_INVALID_UTF;
#endif
	}
	if (!(re->txr_code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts,
	                                   &errcode, &erroff, NULL))) {
		if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "PCRE2 error %d", errcode);
		return tx_refuse(host, ctx, name, 0, errstr, errstr_size,
		                 "'%s' is not a valid regular expression: %s at offset %zu; give a "
		                 "PCRE2 pattern, %s",
		                 pattern, (const char *)msg, (size_t)erroff, what);
	}
	if (pcre2_pattern_info(re->txr_code, PCRE2_INFO_CAPTURECOUNT, &re->txr_groups) != 0)
		re->txr_groups = 0;
	if (!(re->txr_md = pcre2_match_data_create_from_pattern(re->txr_code, NULL))) {
		tx_regex_free(re);
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	return KM_OK;
}

void tx_regex_free(tx_regex_t *re) {
	pcre2_match_data_free(re->txr_md);
	pcre2_code_free(re->txr_code);
	re->txr_md = NULL;
	re->txr_code = NULL;
}

int tx_regex_match(const tx_regex_t *re, const void *subject, size_t len) {
	int rc;

	/* PCRE2 wants a non-NULL subject even when it is empty */
	rc = pcre2_match(re->txr_code, subject ? (PCRE2_SPTR)subject : (PCRE2_SPTR) "", len, 0, 0,
	                 re->txr_md, NULL);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH ||
	    (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21))
		return 0;
	return rc;
}
