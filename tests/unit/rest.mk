# The REST API's router and /metrics, from synthetic status snapshots (no
# socket, no Kafka), and the Grafana dashboard's metric names.
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_rest
tests_unit_test_rest_SOURCES = tests/unit/test_rest.c
tests_unit_test_rest_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) \
	-DKM_DASHBOARD='"$(abs_top_srcdir)/etc/grafana/kmirror-dashboard.json"'
tests_unit_test_rest_LDADD = core/libkmcore.la $(CMOCKA_LIBS) $(JANSSON_LIBS)
endif
