/* Special-use and locally served zones (RFC 6761, 6303, 7686, 8375), answered without asking
 * anyone (localzone.c). */
#ifndef RW_LOCALZONE_H
#define RW_LOCALZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "rootwalk/wire.h"

/* The local zone the wire-format name falls in (case-insensitive), or -1. */
int rw_localzone_find(const uint8_t *qname, size_t len);
/* Its name ("localhost.") and the RFC that makes it local ("RFC 6761 6.3"). */
const char *rw_localzone_name(int zone);
const char *rw_localzone_why(int zone);

/* Write the answer to the query pkt/len (parsed as cq) from zone: AA set, the question as
 * sent, the record asked for or the zone's SOA in the authority section (NODATA or
 * NXDOMAIN), OPT when the client sent one. *rcode gets the rcode. Returns the length, or 0
 * when it does not fit in cap. */
size_t rw_localzone_answer(int zone, const uint8_t *pkt, size_t len,
			   const struct rw_client_query *cq, uint8_t *out, size_t cap, int *rcode);

#endif
