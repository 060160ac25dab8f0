#!/usr/bin/env bash
# The real check of the Grafana dashboard: every PromQL expression in
# deploy/grafana/dashboards/osprey.json returns data from a running Osprey.
#
# It starts `osprey demo` (metrics on a free port, kept up with --linger), a real
# Prometheus (Debian's package, a plain process on 127.0.0.1, 1 s scrapes, temporary
# storage), sends a few malformed records to 'images' with kcat so the dead-letter
# panels have something to show, then runs every expression of every panel as a
# range query over the demo's life, the way Grafana would, until each has returned a
# finite sample or the timeout passes. One line per panel: OK, EMPTY or ERROR.
#
# Usage: scripts/check-dashboard.sh [--count N] [--rate IMAGES/S] [--feedback P] [--timeout SECONDS]
#        scripts/check-dashboard.sh --prometheus URL [--timeout SECONDS]
#            checks an already running Prometheus (docker-compose's: http://localhost:9090)
#            over the last 15 minutes; starts nothing.
# Env:   OSPREY_DATA (dataset, default Fashion-MNIST from the Debian package),
#        PROMETHEUS_BIN (default: prometheus on PATH), KEEP_LOGS=1 (keep the work directory).
# Exit:  0 every panel has data, 1 some panel is empty or its query fails, 2 the check could not run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dashboard="$root/deploy/grafana/dashboards/osprey.json"
helper="$root/scripts/check-dashboard.py"
count=4000
rate=200
# The demo's trainer retrains every 500 feedback examples: 4000 x 0.25 = 1000 make sure one run
# happens, so the training panels have data.
feedback=0.25
timeout=600
prometheus_url=""

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "check-dashboard: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --count) count="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --feedback) feedback="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --prometheus) prometheus_url="$2"; shift 2 ;;
    --dashboard) dashboard="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

command -v python3 >/dev/null 2>&1 || die "python3 is required"
[ -f "$dashboard" ] || die "no dashboard at $dashboard"

echo "== lint $dashboard"
python3 "$helper" lint "$dashboard" || exit 1
if command -v promtool >/dev/null 2>&1; then
  promtool check config "$root/deploy/prometheus/prometheus.yml" >/dev/null || die "deploy/prometheus/prometheus.yml does not validate (promtool check config)"
  echo "promtool: deploy/prometheus/prometheus.yml is valid"
fi

if [ -n "$prometheus_url" ]; then
  echo "== queries against $prometheus_url (last 15 minutes)"
  exec python3 "$helper" query "$dashboard" --prometheus "$prometheus_url" --start "$(( $(date +%s) - 900 ))" \
    --timeout "$timeout" --rate-interval 20s --interval 5s --step 5s
fi

# ---------------------------------------------------------------- the demo and Prometheus
prometheus_bin="${PROMETHEUS_BIN:-$(command -v prometheus || true)}"
[ -x "$prometheus_bin" ] || die "Prometheus is required: apt-get install -y prometheus (or set PROMETHEUS_BIN)"
command -v curl >/dev/null 2>&1 || die "curl is required"
jar="$root/app/target/osprey.jar"
if [ ! -f "$jar" ]; then
  [ -x "$root/osprey" ] || die "neither app/target/osprey.jar nor ./osprey: build first (mvn -B -DskipTests package)"
  "$root/osprey" --version >/dev/null || die "./osprey could not build app/target/osprey.jar"
fi

work="$(mktemp -d -t osprey-dashboard-check.XXXXXX)"
demo_pid=""
prometheus_pid=""
feeder_pid=""

stop() { # PID NAME: TERM, up to 20 s for a clean exit, then KILL
  local pid="$1"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "check-dashboard: $2 ($pid) ignored SIGTERM for 20 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  stop "$feeder_pid" "dead-letter feeder"
  stop "$demo_pid" "osprey demo"
  stop "$prometheus_pid" "prometheus"
  if [ "$code" -ne 0 ] || [ -n "${KEEP_LOGS:-}" ]; then
    for log in demo prometheus feeder; do
      [ -s "$work/$log.log" ] || continue
      echo "---- last lines of $log.log" >&2
      tail -n 25 "$work/$log.log" >&2
    done
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

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
metrics_port="$(free_port)"
broker_port="$(free_port)"
prometheus_port="$(free_port)"
prometheus="http://127.0.0.1:$prometheus_port"

# wait_for SECONDS DESCRIPTION COMMAND...: poll every second; fail early when a started process died
wait_for() {
  local limit="$1" what="$2"; shift 2
  local end=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    [ -z "$demo_pid" ] || kill -0 "$demo_pid" 2>/dev/null || die "osprey demo exited while waiting for $what"
    kill -0 "$prometheus_pid" 2>/dev/null || die "prometheus exited while waiting for $what"
    [ "$(date +%s)" -lt "$end" ] || die "no $what after ${limit} s"
    sleep 1
  done
}

# The demo runs from a copy: a build elsewhere in the tree replaces app/target/osprey.jar, and a
# JVM whose jar changes under it fails with NoClassDefFoundError at its next class load.
cp "$jar" "$work/osprey.jar"
osprey=(java ${OSPREY_JAVA_OPTS:--Xmx2g} -Dai.djl.offline=true -jar "$work/osprey.jar")

cat > "$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: osprey-demo
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
EOF

echo "== prometheus on $prometheus (scraping the demo's 127.0.0.1:$metrics_port every 1 s)"
"$prometheus_bin" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prometheus_port" --storage.tsdb.retention.time=1d \
  --log.level=warn >"$work/prometheus.log" 2>&1 &
prometheus_pid=$!
wait_for 60 "ready Prometheus" curl -fsS "$prometheus/-/ready"
start_ts="$(date +%s)"

# --linger keeps /metrics up after --count is reached, longer than this check can take.
echo "== osprey demo --count $count --rate $rate --feedback $feedback (broker on 127.0.0.1:$broker_port)"
"${osprey[@]}" demo --count "$count" --rate "$rate" --feedback "$feedback" --epochs 1 --linger $(( timeout + 600 )) --status-interval 5000 \
  --port "$broker_port" --metrics-port "$metrics_port" --metrics-host 127.0.0.1 --http-port 0 --trainer-http-port 0 >"$work/demo.log" 2>&1 &
demo_pid=$!
# The endpoint comes up once the seed model is trained and published.
wait_for "$timeout" "ready demo on /readyz" curl -fsS "http://127.0.0.1:$metrics_port/readyz"
echo "demo ready after $(( $(date +%s) - start_ts )) s"

# A demo of valid images has no dead letters: send what a careless producer would,
# one record every 2 s for 30 s, so the dead-letter rates have samples to show. Each
# payload is a file: kcat sends a file as one message (stdin it splits at newlines).
if command -v kcat >/dev/null 2>&1; then
  (
    for i in $(seq 1 15); do
      bad="$work/bad-$i"
      case $(( i % 3 )) in
        0) printf 'this is not an image %s' "$i" >"$bad" ;;
        1) printf '\x89PNG\r\n\x1a\n truncated %s' "$i" >"$bad" ;;
        2) head -c 100 /dev/urandom >"$bad" ;;
      esac
      timeout 20 kcat -P -b "127.0.0.1:$broker_port" -t images -k "check-dashboard-bad-$i" \
        -H "source=check-dashboard" "$bad" || echo "kcat failed for record $i"
      sleep 2
    done
  ) >"$work/feeder.log" 2>&1 &
  feeder_pid=$!
else
  echo "kcat not found (apt-get install -y kcat): no malformed records, the dead-letter panels will stay empty" >&2
fi

# What is left of --timeout, but at least 90 s: the per-partition lag meters, for one, appear a minute after the start.
left=$(( start_ts + timeout - $(date +%s) ))
[ "$left" -ge 90 ] || left=90
echo "== every dashboard expression, as a range query since the start (waits up to ${left} s for data)"
set +e
python3 "$helper" query "$dashboard" --prometheus "$prometheus" --start "$start_ts" --timeout "$left"
result=$?
set -e
grep -E '^images=' "$work/demo.log" || true
exit "$result"
