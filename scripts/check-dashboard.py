#!/usr/bin/env python3
"""The two halves of scripts/check-dashboard.sh that need JSON: lint the dashboard, query Prometheus.

  check-dashboard.py lint DASHBOARD
      Static checks: every panel has a title, a description, a unit, the ${DS} datasource and at
      least one PromQL expression; ids are unique; panels fit the 24-column grid without overlapping;
      expressions use no variable this script cannot substitute.

  check-dashboard.py query --prometheus URL --start UNIX_TS --timeout SECONDS DASHBOARD
      Runs every expression of every panel as a range query from START to now, as Grafana would,
      until each has returned at least one finite sample or the timeout passes. Prints one line per
      panel (OK / EMPTY / ERROR, and the expression for anything but OK). Exit 0: all have data;
      1: some are empty or fail.

Only the standard library: this runs on a bare CI machine.
"""

import argparse
import json
import math
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

# Grafana's global variables the query mode knows how to replace; ${DS} is the datasource, not in
# expressions.
KNOWN_VARIABLES = {"__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms"}
VARIABLE = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def panels(dashboard):
    """Every panel, including those nested in collapsed rows, rows excluded."""
    for p in dashboard.get("panels", []):
        if p.get("type") == "row":
            yield from (c for c in p.get("panels", []) if c.get("type") != "row")
        else:
            yield p


def expressions(panel):
    return [(t.get("refId", "?"), t.get("expr", "")) for t in panel.get("targets", []) if not t.get("hide")]


def lint(path):
    dashboard = load(path)
    problems = []
    variables = {v.get("name") for v in dashboard.get("templating", {}).get("list", [])}
    if "DS" not in variables:
        problems.append("no datasource variable DS in templating")
    seen_ids = {}
    cells = {}
    all_panels = list(dashboard.get("panels", []))
    for p in all_panels:
        all_panels.extend(p.get("panels", []) if p.get("type") == "row" else [])
    for p in all_panels:
        title = p.get("title") or "(untitled)"
        pid = p.get("id")
        if pid in seen_ids:
            problems.append(f"panel id {pid} used twice: '{seen_ids[pid]}' and '{title}'")
        seen_ids[pid] = title
        g = p.get("gridPos", {})
        if not all(k in g for k in ("x", "y", "w", "h")) or g["x"] < 0 or g["x"] + g["w"] > 24:
            problems.append(f"'{title}': gridPos {g} is missing or wider than 24 columns")
            continue
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    problems.append(f"'{title}' overlaps '{cells[(x, y)]}' at x={x} y={y}")
                    break
                cells[(x, y)] = title
            else:
                continue
            break
        if p.get("type") == "row":
            continue
        if not p.get("title"):
            problems.append(f"panel id {pid} has no title")
        if not p.get("description"):
            problems.append(f"'{title}': no description (what the panel means, shown on hover)")
        if p.get("datasource", {}).get("uid") != "${DS}":
            problems.append(f"'{title}': datasource is not ${{DS}}")
        if not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
            problems.append(f"'{title}': no unit")
        exprs = expressions(p)
        if not exprs or not all(e.strip() for _, e in exprs):
            problems.append(f"'{title}': a target without a PromQL expression")
        for t in p.get("targets", []):
            if t.get("datasource", {}).get("uid", "${DS}") != "${DS}":
                problems.append(f"'{title}' {t.get('refId')}: target datasource is not ${{DS}}")
        for ref, e in exprs:
            for m in VARIABLE.finditer(e):
                name = m.group(1) or m.group(2)
                if name not in KNOWN_VARIABLES:
                    problems.append(f"'{title}' {ref}: variable ${name} is not one the query check can substitute")
    for problem in problems:
        print(f"LINT  {problem}")
    count = sum(1 for _ in panels(dashboard))
    print(f"lint: {count} panels, {len(problems)} problem(s)")
    return 1 if problems else 0


def substitute(expr, range_seconds, rate_interval, interval):
    values = {
        "__rate_interval": rate_interval,
        "__interval": interval,
        "__interval_ms": str(int(seconds(interval) * 1000)),
        "__range": f"{range_seconds}s",
        "__range_s": str(range_seconds),
        "__range_ms": str(range_seconds * 1000),
    }
    return VARIABLE.sub(lambda m: values[m.group(1) or m.group(2)], expr)


def seconds(duration):
    m = re.fullmatch(r"(\d+)(ms|s|m)", duration)
    if not m:
        raise ValueError(f"not a duration: {duration}")
    return int(m.group(1)) / {"ms": 1000, "s": 1, "m": 1 / 60}[m.group(2)]


def query_range(prometheus, expr, start, end, step):
    params = urllib.parse.urlencode({"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": step})
    request = urllib.request.Request(f"{prometheus.rstrip('/')}/api/v1/query_range", data=params.encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            body = json.load(response)
    except urllib.error.HTTPError as e:
        try:
            body = json.load(e)
        except ValueError:
            return "ERROR", f"HTTP {e.code}"
    except (urllib.error.URLError, OSError, ValueError) as e:
        return "ERROR", str(e)
    if body.get("status") != "success":
        return "ERROR", f"{body.get('errorType')}: {body.get('error')}"
    series = body["data"]["result"]
    finite = sum(1 for s in series if any(math.isfinite(float(v)) for _, v in s.get("values", [])))
    if finite:
        return "OK", f"{finite} series"
    return "EMPTY", "no series" if not series else f"{len(series)} series, every sample NaN"


def query(args):
    dashboard = load(args.dashboard)
    checks = [(p.get("title", "?"), ref, expr) for p in panels(dashboard) for ref, expr in expressions(p)]
    results = {}
    deadline = time.monotonic() + args.timeout
    last_report = time.monotonic()
    while True:
        now = time.time()
        range_seconds = max(1, int(now - args.start))
        for key in checks:
            if results.get(key, ("",))[0] == "OK":
                continue
            expr = substitute(key[2], range_seconds, args.rate_interval, args.interval)
            results[key] = query_range(args.prometheus, expr, args.start, now, args.step)
        pending = sorted({title for (title, ref, expr), (state, _) in results.items() if state != "OK"})
        if not pending or time.monotonic() >= deadline:
            break
        if time.monotonic() - last_report >= 30:
            print(f"  waiting for data: {', '.join(pending)}", flush=True)
            last_report = time.monotonic()
        time.sleep(min(args.poll, max(0.0, deadline - time.monotonic())))
    failed = 0
    by_panel = {}
    for key in checks:
        by_panel.setdefault(key[0], []).append((key, results[key]))
    for title, entries in by_panel.items():
        bad = [(key, r) for key, r in entries if r[0] != "OK"]
        if not bad:
            print(f"OK     {title} ({len(entries)} expression{'s' if len(entries) > 1 else ''})")
            continue
        failed += 1
        worst = "ERROR" if any(r[0] == "ERROR" for _, r in bad) else "EMPTY"
        print(f"{worst:<6} {title}")
        for (_, ref, expr), (state, detail) in bad:
            print(f"         {ref} {state}: {detail}: {expr}")
    print(f"{len(by_panel) - failed} of {len(by_panel)} panels have data")
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_lint = sub.add_parser("lint")
    p_lint.add_argument("dashboard")
    p_query = sub.add_parser("query")
    p_query.add_argument("dashboard")
    p_query.add_argument("--prometheus", required=True, help="Prometheus base URL")
    p_query.add_argument("--start", type=float, required=True, help="range start, Unix seconds")
    p_query.add_argument("--timeout", type=float, default=300, help="seconds to wait for every panel to have data")
    p_query.add_argument("--poll", type=float, default=5, help="seconds between rounds")
    p_query.add_argument("--step", default="1s", help="range query resolution")
    p_query.add_argument("--rate-interval", default="5s",
                         help="what $__rate_interval becomes: Grafana uses 4 x the scrape interval")
    p_query.add_argument("--interval", default="1s", help="what $__interval becomes")
    args = parser.parse_args()
    return lint(args.dashboard) if args.command == "lint" else query(args)


if __name__ == "__main__":
    sys.exit(main())
