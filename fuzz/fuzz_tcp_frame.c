/* Fuzz target: TCP framing (RFC 1035 4.2.2) as a server sees it, the stream arriving in pieces.
 *
 * Input: two bytes of largest accepted message, one byte that shapes the chunk sizes, then the
 * stream. The stream is cut into chunks and fed through a receive buffer the way a connection
 * would (read what fits, take frames off the front, keep the rest). The frames that come out must
 * be exactly those of a plain reading of the whole stream at once, however it was cut. */
#include <stdlib.h>
#include <string.h>

#include "rootwalk/wire.h"
#include "fuzz.h"

#define MAX_FRAMES 4096

struct frame {
	size_t off, len; /* into the stream */
};

/* The reference: every frame in the stream, read straight from the specification. Returns the
 * number of frames; *error is set when a length of 0 or over max ends the stream. */
static size_t reference(const uint8_t *s, size_t len, size_t max, struct frame *fr, int *error)
{
	size_t pos = 0, n = 0;

	*error = 0;
	while (len - pos >= 2 && n < MAX_FRAMES) {
		size_t l = ((size_t)s[pos] << 8) | s[pos + 1];

		if (l == 0 || l > max) {
			*error = 1;
			break;
		}
		if (len - pos - 2 < l)
			break;
		fr[n].off = pos + 2;
		fr[n].len = l;
		n++;
		pos += 2 + l;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct frame fr[MAX_FRAMES];
	static uint8_t rbuf[2 + RW_MAX_MSG];
	const uint8_t *s, *msg;
	size_t len, max, nref, got = 0, used = 0, pos = 0, msglen, consumed, cap, chunk_no = 0;
	unsigned shape;
	int ref_error, error = 0;

	if (size < 3)
		return 0;
	max = ((size_t)data[0] << 8) | data[1];
	shape = data[2];
	s = data + 3;
	len = size - 3;
	nref = reference(s, len, max, fr, &ref_error);

	/* The whole stream at once, straight from the fuzzer's exactly-sized buffer, so a read past
	 * the end is caught by the sanitizer. */
	if (len > 0) {
		enum rw_frame_status st = rw_wire_tcp_frame(s, len, max, &msg, &msglen, &consumed);

		if (nref > 0) {
			REQUIRE(st == RW_FRAME_OK);
			REQUIRE(msg == s + fr[0].off && msglen == fr[0].len &&
				consumed == 2 + msglen);
		} else {
			REQUIRE(st == (ref_error ? RW_FRAME_ERROR : RW_FRAME_NEED_MORE));
		}
	}

	/* A connection's receive buffer holds one largest message and its prefix. */
	cap = 2 + max;
	while (!error && got < MAX_FRAMES) {
		enum rw_frame_status st =
			rw_wire_tcp_frame(rbuf, used, max, &msg, &msglen, &consumed);

		if (st == RW_FRAME_OK) {
			REQUIRE(got < nref);
			REQUIRE(msg == rbuf + 2 && consumed == 2 + msglen && consumed <= used);
			REQUIRE(msglen == fr[got].len && memcmp(msg, s + fr[got].off, msglen) == 0);
			got++;
			memmove(rbuf, rbuf + consumed, used - consumed);
			used -= consumed;
			continue;
		}
		if (st == RW_FRAME_ERROR) {
			error = 1;
			break;
		}
		REQUIRE(st == RW_FRAME_NEED_MORE);
		/* Waiting for more with a full buffer would hang the connection forever. */
		REQUIRE(used < cap);
		if (pos == len)
			break;
		size_t want = (size_t)((shape * (chunk_no + 1) + chunk_no) % 67) + 1;

		chunk_no++;
		if (want > len - pos)
			want = len - pos;
		if (want > cap - used)
			want = cap - used;
		memcpy(rbuf + used, s + pos, want);
		used += want;
		pos += want;
	}
	if (got < MAX_FRAMES) {
		REQUIRE(got == nref);
		REQUIRE(error == ref_error);
	}
	return 0;
}
