/* Fuzz target: the configuration parser on arbitrary text. A file is either refused with a
 * message naming its line, or accepted into a struct that satisfies the documented limits. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rw_config *cfg = NULL;
	char err[256], small[9];
	int rc;

	memset(err, 0x5a, sizeof(err));
	rc = rw_config_parse((const char *)data, size, "f.conf", &cfg, err, sizeof(err));
	REQUIRE(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc == 0) {
		REQUIRE(cfg != NULL && err[0] == '\0');
		REQUIRE(cfg->n_listen >= 1 && cfg->n_listen <= RW_CONFIG_MAX_ADDRS);
		REQUIRE(cfg->n_outgoing <= RW_CONFIG_MAX_ADDRS);
		REQUIRE(cfg->cache_min_ttl <= cfg->cache_max_ttl);
		REQUIRE(cfg->do_ip4 || cfg->do_ip6);
		REQUIRE(cfg->upstream_port != 0);
		REQUIRE(cfg->cache_size >= (size_t)64 << 10 && cfg->cache_size <= (size_t)64 << 30);
		REQUIRE(cfg->max_cname_chain <= 64 && cfg->max_ns_lookups <= 64);
		REQUIRE(cfg->cache_max_ttl <= 2147483647u);
		REQUIRE(cfg->max_subresolution_depth >= 1 && cfg->max_subresolution_depth <= 7);
		REQUIRE(cfg->infra_ttl >= 1 && cfg->infra_ttl <= 86400);
		REQUIRE(cfg->control_socket == NULL ||
			(cfg->control_socket[0] == '/' && strlen(cfg->control_socket) < 108));
		REQUIRE(cfg->control_socket_mode <= 0777);
		REQUIRE(cfg->n_trace_names <= RW_CONFIG_MAX_FILTERS);
		REQUIRE(cfg->n_trace_clients <= RW_CONFIG_MAX_FILTERS);
		for (size_t i = 0; i < cfg->n_trace_clients; i++)
			REQUIRE(cfg->trace_clients[i].prefix <=
				(cfg->trace_clients[i].addr.ss_family == AF_INET ? 32u : 128u));
		REQUIRE(cfg->trace_only == RW_TRACE_ALL || cfg->trace_only == RW_TRACE_MISS ||
			cfg->trace_only == RW_TRACE_FAIL);
		/* The filters answer for any name, with or without a client. */
		(void)rw_config_trace_wanted(cfg, (const uint8_t *)"\003www\007example\000", 13,
					     NULL);
		REQUIRE(cfg->control_socket_owner == NULL || cfg->control_socket_owner[0] != '\0');
		for (size_t i = 0; i < cfg->n_listen; i++)
			REQUIRE(cfg->listen[i].len > 0);
		REQUIRE(cfg->trace_log == NULL || cfg->trace_log[0] != '\0');
		REQUIRE(cfg->root_hints == NULL || cfg->root_hints[0] != '\0');
		REQUIRE(cfg->verbosity <= 4 && cfg->logfile != NULL && cfg->logfile[0] != '\0');
		REQUIRE(cfg->identity == NULL || cfg->identity[0] != '\0');
	} else {
		/* Errors name the file and a line, and are printable. */
		REQUIRE(rc < 0 && cfg == NULL);
		REQUIRE(strncmp(err, "f.conf:", 7) == 0);
		for (const char *p = err; *p != '\0'; p++)
			REQUIRE(*p >= 0x20 && *p < 0x7f);
		/* One a line: as many lines as messages, each but a count naming the file. */
		size_t lines = rw_config_errors_lines(err, "f.conf");
		REQUIRE(lines >= 1 && strlen(err) < sizeof(err));
	}
	/* The tolerant reading of one key, whatever the rest of the text: a value that fits,
	 * never empty. */
	char val[64];
	int found =
		rw_config_peek_text((const char *)data, size, "control-socket", val, sizeof(val));
	REQUIRE(found == 0 || (found == 1 && val[0] != '\0' && strlen(val) < sizeof(val)));
	if (rc == 0 && found == 1 && cfg->control_socket != NULL)
		REQUIRE(strcmp(val, cfg->control_socket) == 0);
	rw_config_free(cfg);

	/* The same text with an error buffer too small for any message: truncated, terminated. */
	memset(small, 0x5a, sizeof(small));
	rc = rw_config_parse((const char *)data, size, "f.conf", &cfg, small, sizeof(small) - 1);
	REQUIRE(small[sizeof(small) - 1] == 0x5a);
	REQUIRE(memchr(small, '\0', sizeof(small) - 1) != NULL);
	REQUIRE((rc == 0) == (cfg != NULL));
	rw_config_free(cfg);
	rc = rw_config_parse((const char *)data, size, NULL, &cfg, NULL, 0);
	REQUIRE((rc == 0) == (cfg != NULL));
	rw_config_free(cfg);
	return 0;
}
