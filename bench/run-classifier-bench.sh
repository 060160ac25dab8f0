#!/usr/bin/env bash
# Builds the bench module (and the modules it depends on) and runs the classifier benchmark,
# dev.osprey.bench.classifier.ClassifierBench. Results: markdown tables on stdout, progress on stderr.
#
# usage: bench/run-classifier-bench.sh [--quick] [ClassifierBench options; --help lists them]
#   BENCH_SKIP_BUILD=1       run the jars already built (nothing is installed into ~/.m2)
#   BENCH_JFR=/tmp/x.jfr     record a JFR profile of the whole run
#   BENCH_JFR_SETTINGS       JFR settings: a .jfc file or a JDK preset name (default: profile, which samples
#                            at most 5 threads in Java every 10 ms and 1 thread in native code every 20 ms)
#   BENCH_HEAP=6g            the JVM's maximum heap
#   BENCH_JAVA_OPTS          more JVM options, e.g. -Dai.djl.pytorch.num_threads=1 (PyTorch intra-op threads)
#   DJL_CACHE_DIR            where DJL finds the unpacked libtorch (default ~/.djl.ai)
#   OMP_WAIT_POLICY          libtorch's OpenMP idle policy (default PASSIVE, as ./osprey sets it)
#
# Examples:
#   bench/run-classifier-bench.sh --quick                                    # ~2-3 minutes
#   bench/run-classifier-bench.sh --model-cache /tmp/osprey-bench-models --markdown /tmp/classifier-bench.md
set -euo pipefail
cd "$(dirname "$0")/.."

wait_for_other_builds() {
    # Other builds share ~/.m2 and the two cores: wait (bounded) instead of racing their install.
    for _ in $(seq 1 120); do
        pgrep -f plexus-classworlds >/dev/null || return 0
        sleep 5
    done
    echo "another Maven build is still running after 10 minutes; building anyway" >&2
}

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    wait_for_other_builds
    mvn -q -B -ntp -o package -DskipTests -pl bench -am
fi
# The classpath from the bench jar's manifest, Osprey's own jars copied aside (bench/classpath.sh).
source bench/classpath.sh
lib=$(mktemp -d "${TMPDIR:-/tmp}/osprey-classifier-bench-lib.XXXXXX")
classpath=$(bench_classpath "$lib")

jvm=(-Dai.djl.offline=true "-Xmx${BENCH_HEAP:-6g}")
if [[ -n "${BENCH_JAVA_OPTS:-}" ]]; then
    read -r -a extra <<< "$BENCH_JAVA_OPTS"
    jvm+=("${extra[@]}")
fi
if [[ -n "${BENCH_JFR:-}" ]]; then
    jvm+=("-XX:StartFlightRecording=settings=${BENCH_JFR_SETTINGS:-profile},filename=${BENCH_JFR}")
fi
# As ./osprey does: libtorch's idle OpenMP threads otherwise spin and starve Kafka on a small machine.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# Not an EXIT trap: if this shell is killed the JVM lives on, and it opens jars lazily.
status=0
java "${jvm[@]}" -cp "$classpath" dev.osprey.bench.classifier.ClassifierBench "$@" || status=$?
rm -rf "$lib"
exit "$status"
