#!/usr/bin/env bash
# The README's commands, as a newcomer pastes them: starts `./osprey demo` in the background with
# its default ports (broker 9092 when free, HTTP API 8080, trainer 8081, metrics 9400) and its own
# OSPREY_HOME (so ~/.osprey is not touched), waits until it streams, then runs every line of the
# README block under "### While the demo runs", in order, each with a 10 s limit, as a person
# would paste it in a second terminal. Then stops the demo as Ctrl-C would and checks its output:
# the summary line says what the accuracy is measured on, and no line is a WARN.
#
# Usage: scripts/check-readme-commands.sh [--rate IMAGES/S] [--ready-timeout SECONDS] [--per-command SECONDS]
#        (--per-command: the limit of each command, 10 s as the README promises; more only on a
#        machine so busy that a JVM takes that long to start)
# Env:   OSPREY_DATA (dataset, default Fashion-MNIST from the Debian package), KEEP_LOGS=1.
# Exit:  0 every command succeeded, 1 some command failed or the demo warned, 2 the check could not run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readme="$root/README.md"
rate=100
ready_timeout=600
per_command=10

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "check-readme-commands: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate="$2"; shift 2 ;;
    --ready-timeout) ready_timeout="$2"; shift 2 ;;
    --per-command) per_command="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

command -v curl >/dev/null 2>&1 || die "curl is required"
[ -f "$readme" ] || die "no README at $readme"

# The block: the first ```sh fence after the heading, up to its closing fence; comments and blank
# lines are left out, trailing comments are the shell's business.
mapfile -t commands < <(awk '
  /^### While the demo runs/ { section = 1; next }
  section && /^```sh/ { inside = 1; next }
  inside && /^```/ { exit }
  inside && !/^[[:space:]]*(#|$)/ { print }
' "$readme")
[ ${#commands[@]} -gt 0 ] || die "README.md has no \`\`\`sh block under '### While the demo runs'"

for port in 8080 8081 9400; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is taken: the README's commands need the demo's default ports"
  fi
done

# Built before the clock starts: the first ./osprey builds the jar, which takes minutes.
cd "$root"
./osprey --version >/dev/null || die "./osprey could not build app/target/osprey.jar"

work="$(mktemp -d -t osprey-readme-check.XXXXXX)"
export OSPREY_HOME="$work/home"
demo_pid=""

stop_demo() { # TERM (what Ctrl-C does, for a background job), up to 90 s for the summary, then KILL
  [ -n "$demo_pid" ] && kill -0 "$demo_pid" 2>/dev/null || return 0
  kill -TERM "$demo_pid" 2>/dev/null || true
  for _ in $(seq 1 180); do kill -0 "$demo_pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$demo_pid" 2>/dev/null; then
    echo "check-readme-commands: osprey demo ($demo_pid) ignored SIGTERM for 90 s; killing it" >&2
    kill -KILL "$demo_pid" 2>/dev/null || true
  fi
  wait "$demo_pid" 2>/dev/null || true
  demo_pid=""
}

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  stop_demo
  if [ "$code" -ne 0 ] && [ -s "$work/demo.log" ]; then
    echo "---- last lines of demo.log" >&2
    tail -n 25 "$work/demo.log" >&2
  fi
  if [ -n "${KEEP_LOGS:-}" ]; then
    echo "logs kept in $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== ./osprey demo --rate $rate (OSPREY_HOME=$OSPREY_HOME)"
./osprey demo --rate "$rate" >"$work/demo.log" 2>&1 &
demo_pid=$!

# Streaming: the HTTP API is up (it starts last) and a status line counts answered images.
end=$(( $(date +%s) + ready_timeout ))
until grep -qs '^HTTP API on' "$work/demo.log" && grep -Eqs 'images [1-9][0-9,]*  ' "$work/demo.log"; do
  kill -0 "$demo_pid" 2>/dev/null || die "osprey demo exited before it streamed"
  [ "$(date +%s)" -lt "$end" ] || die "osprey demo did not stream within ${ready_timeout} s"
  sleep 1
done
[ -s "$OSPREY_HOME/demo-broker" ] || die "the demo did not write $OSPREY_HOME/demo-broker"
broker="$(cat "$OSPREY_HOME/demo-broker")"
echo "demo streaming, broker at $broker"

failed=0
n=0
for line in "${commands[@]}"; do
  n=$(( n + 1 ))
  if [[ "$line" == kcat* ]] && ! command -v kcat >/dev/null 2>&1; then
    echo "SKIP [$n] $line  (kcat not installed: apt-get install -y kcat)"
    continue
  fi
  if [[ "$line" == *localhost:9092* ]] && [[ "$broker" != *:9092 ]]; then
    echo "SKIP [$n] $line  (port 9092 was taken, the demo's broker is at $broker)"
    continue
  fi
  start=$(date +%s%N)
  set +e
  timeout --kill-after=5 "$per_command" bash -c "$line" >"$work/cmd-$n.out" 2>&1
  code=$?
  set -e
  took=$(( ($(date +%s%N) - start) / 1000000 ))
  if [ "$code" -eq 0 ]; then
    echo "OK   [$n] $line  (${took} ms)"
  else
    failed=$(( failed + 1 ))
    [ "$code" -eq 124 ] || [ "$code" -eq 137 ] && why="still running after ${per_command} s" || why="exit $code"
    echo "FAIL [$n] $line  ($why)"
    sed 's/^/       | /' "$work/cmd-$n.out" | tail -n 15
  fi
done

echo "== stopping the demo (SIGTERM, as Ctrl-C)"
stop_demo
summary="$(grep -E '^images=' "$work/demo.log" || true)"
if [ -z "$summary" ]; then
  echo "FAIL the demo printed no summary line when stopped"
  failed=$(( failed + 1 ))
elif [[ "$summary" != *accuracy_on=never_trained_images* ]]; then
  echo "FAIL the summary does not say the accuracy is on never-trained images: $summary"
  failed=$(( failed + 1 ))
else
  echo "OK   summary: $summary"
fi
warns="$(grep -E '(^|[[:space:]])WARN([[:space:]]|$)' "$work/demo.log" || true)"
if [ -n "$warns" ]; then
  echo "FAIL the demo logged WARN lines:"
  printf '%s\n' "$warns" | head -n 20 | sed 's/^/       | /'
  failed=$(( failed + 1 ))
else
  echo "OK   no WARN line in the demo's output ($(wc -l <"$work/demo.log") lines)"
fi

if [ "$failed" -gt 0 ]; then
  echo "check-readme-commands: $failed check(s) failed"
  exit 1
fi
echo "check-readme-commands: all ${#commands[@]} README commands work alongside the demo"
