#!/usr/bin/env bash
# Runs dev.osprey.bench.trainer.ActiveLearningBench: the learning loop (v1 without classes 0 and 6,
# a trainer retraining every N feedback, the classifier) once with --feedback-strategy random and
# once with uncertain, at the same labelling budget, each on a fresh embedded broker; prints per
# strategy the feedback spent, versions published, the final version's live accuracy on 2,000
# never-fed-back images, and a full model's offline test accuracy for reference.
#
# usage: bench/run-active-learning.sh [budget [retrain-every [share [rate]]]]   (default: 2000 500 0.25 150)
#   BENCH_SKIP_BUILD=1   use the classes already built
#
# Needs Fashion-MNIST at /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist).
# Nothing is installed into ~/.m2: Osprey's own jars come from the modules' target/ folders.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/classpath.sh

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    mvn -q -B -ntp -o package -DskipTests -pl bench -am
fi
lib=$(mktemp -d)
trap 'rm -rf "$lib"' EXIT
classpath=$(bench_classpath "$lib")
java -Xmx4g -XX:+UseG1GC -cp "$classpath" dev.osprey.bench.trainer.ActiveLearningBench "$@"
