#!/usr/bin/env bash
# Runs the process bench, dev.osprey.bench.process.ProcessBench: the broker (osprey.jar broker) and
# each scenario (passthrough, python-loop, osprey, osprey-no-pipelining, osprey-alos, cnn) in a
# process of its own, the bare forward pass in the bench JVM. Table on stdout, progress on stderr.
#
# usage: bench/run-process-bench.sh [--quick] [ProcessBench options: --images N --scenarios a,b
#                                    --markdown FILE --osprey-arg ARG ... ; --help lists them]
#   BENCH_SKIP_BUILD=1   use the jars already built (app/target/osprey.jar and the bench jar)
#
# Nothing is installed into ~/.m2; osprey.jar is copied aside like the bench's own jars, so that a
# build running meanwhile cannot rewrite it under the scenarios' JVMs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's python3-torch calls the generic BLAS interface: with the reference BLAS behind it the
# Python loop's forward pass is ~50x slower (408 µs an image against 8.5 µs with OpenBLAS here).
if [[ "$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null)" != *openblas* ]]; then
    echo "run-process-bench: libblas.so.3 is not OpenBLAS: the python-loop scenario would be BLAS-bound;" \
         "install it first: apt-get install -y libopenblas0-pthread" >&2
fi

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    mvn -q -B -ntp -o package -DskipTests -pl app,bench -am
fi
# shellcheck source=bench/classpath.sh
source bench/classpath.sh
lib=$(mktemp -d "${TMPDIR:-/tmp}/osprey-process-bench-lib.XXXXXX")
classpath=$(bench_classpath "$lib")
cp app/target/osprey.jar "$lib/osprey.jar"

export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# One PyTorch thread for the bare forward pass, as the classifier's default --intra-op-threads 1.
status=0
java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Xmx2g -cp "$classpath" \
    dev.osprey.bench.process.ProcessBench --jar "$lib/osprey.jar" "$@" || status=$?
rm -rf "$lib"
exit "$status"
