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
jar=$(ls "$PWD"/bench/target/osprey-bench-*.jar | grep -v -- '-sources\|-tests' | head -1)
lib=$(mktemp -d "${TMPDIR:-/tmp}/osprey-soak-lib.XXXXXX")
mkdir -p "$lib/manifest"
(cd "$lib/manifest" && jar xf "$jar" META-INF/MANIFEST.MF)
cp_entries=$(sed -e 's/\r$//' "$lib/manifest/META-INF/MANIFEST.MF" | awk '
    /^Class-Path: / { on = 1; sub(/^Class-Path: /, ""); printf "%s", $0; next }
    on && /^ / { sub(/^ /, ""); printf "%s", $0; next }
    { on = 0 }')
cp "$jar" "$lib/"
classpath="$lib/$(basename "$jar")"
for entry in $cp_entries; do
    if [[ "$entry" == */dev/osprey/osprey-* ]]; then
        name=$(basename "$entry")                      # osprey-core-0.1.0-SNAPSHOT.jar
        module=${name#osprey-}; module=${module%%-*}   # core
        cp "$module/target/$name" "$lib/" && entry="$lib/$name"
    fi
    classpath="$classpath:$entry"
done

export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
status=0
java -Dai.djl.offline=true -Xmx1g -cp "$classpath" dev.osprey.bench.classifier.SoakBench "$@" || status=$?
rm -rf "$lib"
exit "$status"
