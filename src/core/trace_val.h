/* The text and JSON of DNSSEC trace events (trace_val.c), for trace.c's formatters. Internal. */
#ifndef RW_TRACE_VAL_H
#define RW_TRACE_VAL_H

#include "rootwalk/trace.h"
#include "sbuf.h"

void rw_trace_val_text(struct rw_sbuf *b, const struct rw_trace_event *e, const char *ind);
void rw_trace_val_json(struct rw_sbuf *b, const struct rw_trace_event *e);

#endif
