#!/usr/bin/env bash
# Runs dev.osprey.bench.trainer.FeedbackMemoryBench: Fashion-MNIST feedback through the trainer's own
# topology into the bounded feedback store; heap after GC and RSS at 0, 200k and 1M records, one JVM
# per --max-feedback value (so one run's heap does not show in the next one's RSS); tables on stdout.
#
# usage: bench/run-feedback-memory.sh [capacity ...]   (default: 100000 1000000)
#   BENCH_SKIP_BUILD=1   use the classes already built
#
# Nothing is installed into ~/.m2: Osprey's own jars come from the modules' target/ folders.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    mvn -q -B -ntp -o package -DskipTests -pl bench -am
fi
# The bench jar's manifest class path, with Osprey's own jars taken from the modules' target/ folders.
jar=$(ls "$PWD"/bench/target/osprey-bench-*.jar | grep -v -- '-sources\|-tests' | head -1)
classpath="$jar"
for entry in $(unzip -p "$jar" META-INF/MANIFEST.MF | sed -e 's/\r$//' | awk '
        /^Class-Path: / { on = 1; sub(/^Class-Path: /, ""); printf "%s", $0; next }
        on && /^ / { sub(/^ /, ""); printf "%s", $0; next }
        { on = 0 }'); do
    if [[ "$entry" == */dev/osprey/osprey-* ]]; then
        name=$(basename "$entry")                      # osprey-core-0.1.0-SNAPSHOT.jar
        module=${name#osprey-}; module=${module%%-*}   # core
        entry="$PWD/$module/target/$name"
    fi
    classpath="$classpath:$entry"
done
capacities=("$@")
if [[ ${#capacities[@]} -eq 0 ]]; then
    capacities=(100000 1000000)
fi
for capacity in "${capacities[@]}"; do
    java -Xmx3g -XX:+UseG1GC -cp "$classpath" dev.osprey.bench.trainer.FeedbackMemoryBench "$capacity"
done
