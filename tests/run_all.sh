#!/bin/bash
# run_all.sh: build with AddressSanitizer + UndefinedBehaviorSanitizer and run every test suite:
#   unit and fuzz-corpus tests (meson test), the lab integration tests (pytest, inside a private
#   network namespace), and a clang-format check of the C sources (counted as one test).
# Then a ThreadSanitizer build (suite tsan): the unit tests again, and the stress test with 2 and
# 4 worker threads against the TSan rootwalkd.
# Any sanitizer report fails the test that produced it. The last line of output is exactly
#   N passed, N failed
# summed over all suites; the exit status is non-zero if anything failed.
#
# Environment: BUILD_DIR (default build-asan), PYTEST_ARGS (extra pytest arguments),
#   TSAN_BUILD_DIR (default build-tsan), TSAN=no to leave the ThreadSanitizer suite out (it is
#   then counted as one skipped test, not as passed), TSAN_ALL=yes to run the whole lab suite
#   under TSan rather than the stress test with workers.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
BUILD=${BUILD_DIR:-build-asan}
PY=/usr/bin/python3 # Debian's python3, which has pytest and dnspython
export ASAN_OPTIONS=halt_on_error=1:print_stacktrace=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# TSan warns and goes on, then exits 66 (a failed unit test); the lab fixtures fail a test whose
# daemon wrote "WARNING: ThreadSanitizer" (scripts/rwlab/procs.py). tests/tsan.supp lists the
# hand-offs inside uninstrumented libraries TSan cannot see (libfstrm's queues), and why.
export TSAN_OPTIONS=halt_on_error=0:exitcode=66:second_deadlock_stack=1:suppressions=$REPO/tests/tsan.supp
export PYTHONDONTWRITEBYTECODE=1

passed=0
failed=0
summary=()
t0=$SECONDS

count() { # suite passed failed [skipped]
	passed=$((passed + $2))
	failed=$((failed + $3))
	summary+=("$(printf '%-12s %4d passed, %d failed%s' "$1:" "$2" "$3" "${4:+, $4 skipped}")")
}

finish() {
	echo
	echo "== summary ($((SECONDS - t0)) s)"
	printf '%s\n' "${summary[@]}"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

section() { echo; echo "== $*"; }

# configure_build DIR OPTION...: set up DIR with the options (or reconfigure it) and build it.
configure_build() {
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "$@" >/dev/null || return 1
	else
		meson setup "$dir" "$@" >/dev/null || return 1
	fi
	ninja -C "$dir"
}

# -- build ---------------------------------------------------------------------------------------
section "configure and build $BUILD (ASan + UBSan, -Werror)"
if ! configure_build "$BUILD" -Db_sanitize=address,undefined -Dwerror=true -Db_lundef=false; then
	echo "run_all: the build failed; no test suite can run"
	count build 0 1
	finish
fi

# -- meson test: unit and fuzz suites ------------------------------------------------------------
# count_meson_log LOG PREFIX: count the results of a meson test log (testlog.json) per suite.
count_meson_log() {
	local suite p f s
	while read -r suite p f s; do
		count "$2$suite" "$p" "$f" "$s"
	done < <("$PY" - "$1" <<'EOF'
import json, sys
res = {}
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    t = json.loads(line)
    # "name" is "PROJECT:SUITE / TEST"; older logs also carry a "suite" list.
    name = t.get("name", "")
    suite = name.split(" / ", 1)[0].split(":", 1)[-1] if " / " in name else ""
    suite = suite or ",".join(x.split(":", 1)[-1] for x in t.get("suite", [])) or "meson"
    p, f, s = res.setdefault(suite, [0, 0, 0])
    r = t.get("result")
    if r in ("OK", "EXPECTEDFAIL"):
        res[suite][0] += 1
    elif r == "SKIP":
        res[suite][2] += 1
    else:  # FAIL, UNEXPECTEDPASS, TIMEOUT, ERROR
        res[suite][1] += 1
for suite, (p, f, s) in sorted(res.items()):
    print(suite, p, f, s)
EOF
	)
}

section "meson test (unit, fuzz)"
rm -f "$BUILD/meson-logs/testlog.json"
timeout -k 10 300 meson test -C "$BUILD" --print-errorlogs --num-processes 2
mrc=$?
if [ -f "$BUILD/meson-logs/testlog.json" ]; then
	count_meson_log "$BUILD/meson-logs/testlog.json" ""
elif [ $mrc -ne 0 ]; then
	echo "run_all: meson test failed (status $mrc) without a test log"
	count meson 0 1
fi

# -- integration tests in the lab ----------------------------------------------------------------
# count_junit FILE SUITE STATUS: count a pytest junit report (STATUS: pytest's exit status).
count_junit() {
	local p f s
	if [ ! -f "$1" ]; then
		echo "run_all: pytest wrote no report (status $3)"
		count "$2" 0 1
		return
	fi
	read -r p f s < <("$PY" - "$1" <<'EOF'
import sys
import xml.etree.ElementTree as ET
state = {}
for tc in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    key = (tc.get("classname"), tc.get("name"))
    tags = {c.tag for c in tc}
    if tags & {"failure", "error"}:
        r = "failed"
    elif "skipped" in tags:
        r = "skipped"
    else:
        r = "passed"
    # A test reported twice (call failed, teardown errored) counts once, as failed.
    if state.get(key) != "failed":
        state[key] = r
v = list(state.values())
print(v.count("passed"), v.count("failed"), v.count("skipped"))
EOF
	)
	# Collection errors or a crash of pytest itself leave no test cases behind.
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "run_all: pytest exited with status $3"
		f=1
	fi
	count "$2" "$p" "$f" "$s"
}

section "integration tests (pytest in a private network namespace)"
junit="$REPO/$BUILD/pytest-junit.xml"
[ "${BUILD:0:1}" = / ] && junit="$BUILD/pytest-junit.xml"
rm -f "$junit"
ROOTWALKD="$(cd "$BUILD" && pwd)/src/daemon/rootwalkd" \
	timeout -k 10 720 "$REPO/scripts/in_lab.sh" "$PY" -m pytest -p no:cacheprovider -q \
	-o junit_family=xunit2 --junitxml="$junit" ${PYTEST_ARGS:-} tests/integration
prc=$?
count_junit "$junit" integration $prc

# -- formatting ----------------------------------------------------------------------------------
section "clang-format --dry-run --Werror (src include tests fuzz bench)"
# Only our sources: files git tracks plus new ones not yet added (untracked and not ignored), so
# stray copies, generated files and ignored build output are never checked. Outside a git
# checkout (a release tarball) every .c/.h file under the five directories is.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t cfiles < <(git ls-files --cached --others --exclude-standard -- src include tests fuzz bench |
		grep -E '\.[ch]$' | sort -u | while read -r f; do [ -f "$f" ] && echo "$f"; done)
else
	mapfile -t cfiles < <(find src include tests fuzz bench -name '*.[ch]' -type f | sort)
fi
if [ ${#cfiles[@]} -eq 0 ]; then
	echo "run_all: no C files found to check" # clang-format would wait for stdin
	count format 0 1
elif clang-format --dry-run --Werror "${cfiles[@]}" </dev/null; then
	echo "${#cfiles[@]} files formatted"
	count format 1 0
else
	count format 0 1
fi

# -- layering ------------------------------------------------------------------------------------
section "layering: no two C files call each other (scripts/layering.py)"
if "$PY" "$REPO/scripts/layering.py"; then
	count layering 1 0
else
	count layering 0 1
fi

# -- ThreadSanitizer -----------------------------------------------------------------------------
# The worker threads share one cache, infra cache, key cache and NSEC cache (struct rw_shared).
# A second build with -Db_sanitize=thread runs the unit tests (test_threads_* hammer the shared
# tables from four threads), the stress test with 2 and 4 workers and the workers' lifecycle tests
# against the TSan rootwalkd (tests/integration/test_stress.py -k workers,
# tests/integration/test_workers_lifecycle.py).
TSAN_BUILD=${TSAN_BUILD_DIR:-build-tsan}
if [ "${TSAN:-yes}" = no ]; then
	section "ThreadSanitizer: left out (TSAN=no)"
	count tsan 0 0 1
else
	section "configure and build $TSAN_BUILD (ThreadSanitizer, -Werror)"
	t_tsan=$SECONDS
	if ! configure_build "$TSAN_BUILD" -Db_sanitize=thread -Dwerror=true -Db_lundef=false; then
		echo "run_all: the TSan build failed"
		count tsan-build 0 1
	else
		section "meson test under ThreadSanitizer (unit)"
		rm -f "$TSAN_BUILD/meson-logs/testlog.json"
		timeout -k 10 300 meson test -C "$TSAN_BUILD" --suite unit --print-errorlogs \
			--num-processes 2
		mrc=$?
		if [ -f "$TSAN_BUILD/meson-logs/testlog.json" ]; then
			count_meson_log "$TSAN_BUILD/meson-logs/testlog.json" tsan-
		else
			echo "run_all: meson test (TSan) failed (status $mrc) without a test log"
			count tsan-unit 0 1
		fi

		section "stress test with worker threads under ThreadSanitizer"
		tjunit="$(cd "$TSAN_BUILD" && pwd)/pytest-junit.xml"
		rm -f "$tjunit"
		# TSAN_ALL=yes: the whole lab suite under TSan instead (1,056 tests passed in 266 s
		# on 2 shared cores, 2 workers each: too long to run every time).
		tsel=(-k workers tests/integration/test_stress.py
			tests/integration/test_workers_lifecycle.py)
		[ "${TSAN_ALL:-no}" = yes ] && tsel=(tests/integration)
		ROOTWALKD="$(cd "$TSAN_BUILD" && pwd)/src/daemon/rootwalkd" \
			timeout -k 10 900 "$REPO/scripts/in_lab.sh" "$PY" -m pytest -p no:cacheprovider \
			-q -o junit_family=xunit2 --junitxml="$tjunit" "${tsel[@]}"
		prc=$?
		count_junit "$tjunit" tsan-stress $prc
	fi
	echo "ThreadSanitizer suite: $((SECONDS - t_tsan)) s"
fi

finish
