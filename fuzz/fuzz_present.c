/* Fuzz target: the hand-written presentation formatters, against the references they promise to
 * equal. Names from the wire (rw_wire_name_text) must read exactly as ldns writes them; a record
 * parsed from the input must print through rw_present_rr exactly as ldns_rr2str prints it (tabs as
 * single spaces, no trailing newline); rw_present_iso_time must agree with gmtime for years 0..9999 and
 * say "?" outside them; rw_present_duration must stay within its buffer. Traces and the control
 * socket print hostile names and records with these, so a difference is a wrong trace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "rootwalk/trace.h"
#include "rootwalk/wire.h"
#include "fuzz.h"

/* Length of the well-formed uncompressed name at the start of p, or 0. */
static size_t name_len(const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len && off < 255) {
		uint8_t l = p[off];

		if (l == 0)
			return off + 1 <= 255 ? off + 1 : 0;
		if (l > 63)
			return 0;
		off += (size_t)l + 1;
	}
	return 0;
}

static void check_name(const uint8_t *data, size_t size)
{
	char out[1100];
	size_t n = name_len(data, size);
	int r = rw_wire_name_text(data, size, out, sizeof(out));

	if (n == 0) {
		/* Not a name: refused, or read as the name that ends earlier is not possible here. */
		return;
	}
	REQUIRE(r > 0 && (size_t)r == strlen(out));
	{
		ldns_rdf *d = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, n, data);
		char *want = d != NULL ? ldns_rdf2str(d) : NULL;

		if (want != NULL && strcmp(out, want) != 0) {
			fprintf(stderr, "name: got '%s', ldns '%s'\n", out, want);
			abort();
		}
		free(want);
		ldns_rdf_deep_free(d);
	}
	/* Too small a buffer is refused, never overrun (the guard byte stays). */
	for (size_t cap = 0; cap <= (size_t)r + 1; cap += 1 + cap / 3) {
		char small[1100];

		memset(small, 0x5a, sizeof(small));
		int s = rw_wire_name_text(data, size, small, cap);
		REQUIRE(small[cap] == 0x5a);
		REQUIRE(s == -1 || (s == r && cap > (size_t)r && strcmp(small, out) == 0));
	}
}

static void check_rr(const uint8_t *data, size_t size)
{
	ldns_rr *rr = NULL;
	size_t pos = 0;
	char *got, *want;
	size_t n;

	if (ldns_wire2rr(&rr, data, size, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
		return;
	got = rw_present_rr(rr);
	want = ldns_rr2str(rr);
	REQUIRE(got != NULL);
	if (want != NULL) {
		n = strlen(want);
		while (n > 0 && (want[n - 1] == '\n' || want[n - 1] == ' '))
			want[--n] = '\0';
		for (char *c = want; *c; c++)
			if (*c == '\t')
				*c = ' ';
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "rr: got  '%s'\n    ldns '%s'\n", got, want);
			abort();
		}
	}
	free(got);
	free(want);
	ldns_rr_free(rr);
}

static void check_time(const uint8_t *data, size_t size)
{
	int64_t t = 0;
	char got[64], want[64];
	struct tm tm;
	time_t secs;
	int64_t s;

	if (size < 8)
		return;
	memcpy(&t, data, sizeof(t));
	/* Keep to times whose seconds fit time_t and whose arithmetic cannot overflow. */
	if (t < -((int64_t)1 << 62) || t > ((int64_t)1 << 62))
		t /= 4;
	memset(got, 0x5a, sizeof(got));
	rw_present_iso_time(t, got, 40);
	REQUIRE(memchr(got, '\0', 40) != NULL && got[40] == 0x5a);
	s = t >= 0 ? t / 1000000 : -((-t + 999999) / 1000000);
	secs = (time_t)s;
	if (gmtime_r(&secs, &tm) == NULL || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
		REQUIRE(strcmp(got, "?") == 0);
	} else {
		int64_t ms = (t - s * 1000000) / 1000;

		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (long long)ms);
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "time %lld: got '%s', want '%s'\n", (long long)t, got,
				want);
			abort();
		}
	}
	for (size_t cap = 0; cap < 30; cap += 7) {
		char small[40];

		memset(small, 0x5a, sizeof(small));
		rw_present_duration(small, cap, t / 1000000);
		REQUIRE(small[cap] == 0x5a);
		REQUIRE(cap == 0 || memchr(small, '\0', cap) != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_name(data, size);
	check_rr(data, size);
	check_time(data, size);
	return 0;
}
