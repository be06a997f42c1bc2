/* kmirrord: the kmirror replication daemon (entry point). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <librdkafka/rdkafka.h>

#define KM_DEFAULT_CONFIG SYSCONFDIR "/kmirror/kmirror.yaml"

static void usage(FILE *fp) {
	fprintf(fp,
	        "Usage: kmirrord [-c FILE] [--check-config]\n"
	        "Replicates Apache Kafka topics between clusters.\n"
	        "\n"
	        "  -c, --config FILE   configuration file (default %s)\n"
	        "      --check-config  validate the configuration and exit\n"
	        "  -V, --version       print the version and exit\n"
	        "  -h, --help          print this help and exit\n",
	        KM_DEFAULT_CONFIG);
}

int main(int argc, char **argv) {
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check-config", no_argument, NULL, 'C'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
		case 'C':
			break;
		case 'V':
			printf("kmirrord %s (librdkafka %s)\n", PACKAGE_VERSION,
			       rd_kafka_version_str());
			return EXIT_SUCCESS;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	fprintf(stderr, "kmirrord: replication is not built yet in this version "
	                "(only --version and --help work)\n");
	return EXIT_FAILURE;
}
