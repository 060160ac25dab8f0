#!/usr/bin/env bash
# Runs the classifier soak, dev.osprey.bench.classifier.SoakBench: one classifier JVM (-Xmx1g, NMT on)
# at half its maximum rate with a model swap every 30 s, sampled every 10 s; table and verdict on
# stdout, progress on stderr; exit status 1 when the verdict fails.
#
# usage: bench/run-soak.sh [--quick] [SoakBench options: --minutes M --rate R --markdown FILE ...]
#   BENCH_SKIP_BUILD=1   use the jars already built (e.g. after `mvn verify`)
#
# Nothing is installed into ~/.m2: Osprey's own jars are taken from the modules' target/ folders
# (copied aside, so that another build cannot rewrite them under the running JVMs), the other
# entries of the bench jar's manifest class path from the local Maven repository.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    mvn -q -B -ntp -o package -DskipTests -pl bench -am
fi
# shellcheck source=bench/classpath.sh
source bench/classpath.sh
lib=$(mktemp -d "${TMPDIR:-/tmp}/osprey-soak-lib.XXXXXX")
classpath=$(bench_classpath "$lib")

export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
status=0
java -Dai.djl.offline=true -Xmx1g -cp "$classpath" dev.osprey.bench.classifier.SoakBench "$@" || status=$?
rm -rf "$lib"
exit "$status"
