#!/usr/bin/python3
"""Helpers for bench/run.sh (stdlib only).

  report.py wrk FILE
      Parses wrk --latency output; prints one tab-separated line:
      requests seconds rps p50_us p99_us socket_errors non2xx

  report.py h2load FILE LOG
      Parses h2load output and its --log-file (per-request times, for p50 and p99); prints the
      same seven fields, then the application protocol (h2 when ALPN chose it) and the TLS
      protocol, suite and group. socket_errors are the requests that failed without a status
      (errored or timed out), non2xx those answered with another status than 2xx or 3xx.

  report.py render --runs RUNS.tsv --idle IDLE.tsv --meta META.tsv --out FILE.md [--strict]
      Renders the Markdown report (medians across rounds, ratios to the peers, the bar),
      writes it to FILE.md and prints it. With --strict, exits 3 when bulwark misses the bar.
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
from pathlib import Path

SCENARIOS = {
    "a": "(a) 1 KiB GET, 64 keep-alive conns",
    "b": "(b) 100 KiB GET, 64 keep-alive conns",
    "c": "(c) 1 KiB GET, new conn per request (16 conns)",
    "d": "(d) TLS: full handshake per request (16 conns)",
    "e": "(e) TLS: 1 KiB GET, 64 keep-alive conns",
    "f": "(f) HTTP/2 over TLS: 1 KiB GET, 16 conns × 10 streams",
    "g": "(g) 100 KiB HTML compressed: gzip 6, 16 conns",
    "h": "(h) 100 KiB HTML compressed: brotli 5, 16 conns",
    "i": "(i) 100 KiB HTML compressed: zstd 3, 16 conns",
}
PEERS = ("nginx", "haproxy", "h2o")  # h2o runs only in (f)
# The bar from the issues: CPU per request on (a), (c), (d), (e), (f) and (g) at most each peer's
# measured in that scenario, that is at most the best of them; idle conn <= 1 KiB.
BAR_SCENARIOS = ("a", "c", "d", "e", "f", "g")
BAR_IDLE_BYTES = 1024

RUN_FIELDS = [
    "round", "scenario", "proxy", "status", "requests", "seconds", "rps",
    "p50_us", "p99_us", "socket_errors", "non2xx", "cpu_ticks", "clk_tck",
]
IDLE_FIELDS = [
    "proxy", "count", "opened", "failed", "before_kb", "after_kb", "closed_kb", "still_open", "closed",
]

_UNITS_US = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}


def _duration_us(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"cannot parse duration {text!r}")
    return float(m.group(1)) * _UNITS_US[m.group(2)]


def parse_wrk(text: str) -> dict[str, float]:
    out: dict[str, float] = {
        "requests": 0, "seconds": 0.0, "rps": 0.0, "p50_us": float("nan"), "p99_us": float("nan"),
        "socket_errors": 0, "non2xx": 0,
    }
    if m := re.search(r"^\s*(\d+) requests in ([\d.]+\w+),", text, re.M):
        out["requests"] = int(m.group(1))
        out["seconds"] = _duration_us(m.group(2)) / 1e6
    if m := re.search(r"^Requests/sec:\s*([\d.]+)", text, re.M):
        out["rps"] = float(m.group(1))
    if m := re.search(r"^\s*50(?:\.0+)?%\s+(\S+)", text, re.M):
        out["p50_us"] = _duration_us(m.group(1))
    if m := re.search(r"^\s*99(?:\.0+)?%\s+(\S+)", text, re.M):
        out["p99_us"] = _duration_us(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
        out["socket_errors"] = sum(int(g) for g in m.groups())
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", text):
        out["non2xx"] = int(m.group(1))
    return out


def parse_h2load(text: str, log_lines: list[str]) -> dict[str, float | str]:
    out: dict[str, float | str] = {
        "requests": 0, "seconds": 0.0, "rps": 0.0, "p50_us": float("nan"), "p99_us": float("nan"),
        "socket_errors": 0, "non2xx": 0, "alpn": "", "tls": "",
    }
    if m := re.search(r"^finished in ([\d.]+\w+), ([\d.]+) req/s", text, re.M):
        out["seconds"] = _duration_us(m.group(1)) / 1e6
        out["rps"] = float(m.group(2))
    if m := re.search(r"^requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored", text, re.M):
        succeeded, failed, errored = (int(g) for g in m.groups())
        out["requests"] = succeeded
        # h2load's "failed" counts the errored requests and those with a status other than 2xx/3xx.
        out["socket_errors"] = errored
        out["non2xx"] = failed - errored
    if m := re.search(r"^Application protocol: (\S+)", text, re.M):
        out["alpn"] = m.group(1)
    tls = [m.group(1) for key in ("TLS Protocol", "Cipher", "Server Temp Key")
           if (m := re.search(rf"^{key}: (\S+)", text, re.M))]
    out["tls"] = " ".join(tls)
    # --log-file: start time (µs since the epoch), status, µs until the response ended.
    times = sorted(int(f[2]) for f in (line.split("\t") for line in log_lines)
                   if len(f) == 3 and f[1].startswith(("2", "3")))
    if times:
        out["p50_us"] = float(times[len(times) // 2])
        out["p99_us"] = float(times[min(len(times) - 1, len(times) * 99 // 100)])
    return out


def cmd_h2load(path: str, log_path: str) -> int:
    log = Path(log_path)
    r = parse_h2load(Path(path).read_text(errors="replace"), log.read_text().splitlines() if log.exists() else [])
    keys = ("requests", "seconds", "rps", "p50_us", "p99_us", "socket_errors", "non2xx", "alpn", "tls")
    print("\t".join(str(r[k]) for k in keys))
    return 0


def cmd_wrk(path: str) -> int:
    r = parse_wrk(Path(path).read_text(errors="replace"))
    print("\t".join(str(r[k]) for k in ("requests", "seconds", "rps", "p50_us", "p99_us", "socket_errors", "non2xx")))
    return 0


# ---------------------------------------------------------------------------------------------
# Rendering


def _read_tsv(path: str | None, fields: list[str]) -> list[dict[str, str]]:
    if not path or not Path(path).exists():
        return []
    with open(path, newline="") as f:
        return [dict(zip(fields, row)) for row in csv.reader(f, delimiter="\t") if row and row[0] != fields[0]]


def _fmt_int(x: float) -> str:
    return f"{x:,.0f}"


def _fmt_lat(us: float) -> str:
    if us != us:  # NaN
        return "n/a"
    if us < 1000:
        return f"{us:.0f} µs"
    if us < 1e6:
        return f"{us / 1e3:.2f} ms"
    return f"{us / 1e6:.2f} s"


def _fmt_cpu(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


def _fmt_ratio(x: float | None, bold_if_le_1: bool = False) -> str:
    if x is None:
        return "—"
    s = f"{x:.2f}"
    return f"**{s}**" if bold_if_le_1 and x <= 1.0 else s


class Run:
    def __init__(self, row: dict[str, str]):
        self.round = int(row["round"])
        self.scenario = row["scenario"]
        self.proxy = row["proxy"]
        self.ok = row["status"] == "ok"
        self.requests = int(float(row["requests"] or 0))
        self.rps = float(row["rps"] or 0)
        self.p50 = float(row["p50_us"] or "nan")
        self.p99 = float(row["p99_us"] or "nan")
        self.errors = int(float(row["socket_errors"] or 0)) + int(float(row["non2xx"] or 0))
        ticks, hz = int(row["cpu_ticks"] or 0), int(row["clk_tck"] or 100)
        self.cpu_us = ticks * 1e6 / hz / self.requests if self.requests else None


def _median(xs: list[float]) -> float | None:
    xs = [x for x in xs if x is not None and x == x]
    return statistics.median(xs) if xs else None


def _ratio_median(runs: dict[tuple[int, str, str], Run], scen: str, a: str, b: str, attr: str) -> float | None:
    """Median over rounds of a/b (paired per round, so slow drift of the machine cancels)."""
    ratios = []
    for (rnd, s, p), run in runs.items():
        if s != scen or p != a or not run.ok:
            continue
        other = runs.get((rnd, scen, b))
        x, y = getattr(run, attr), getattr(other, attr) if other and other.ok else None
        if x is not None and y:
            ratios.append(x / y)
    return _median(ratios)


def render(args: argparse.Namespace) -> int:
    runs_list = [Run(r) for r in _read_tsv(args.runs, RUN_FIELDS)]
    runs = {(r.round, r.scenario, r.proxy): r for r in runs_list}
    idle = _read_tsv(args.idle, IDLE_FIELDS)
    meta = [row for row in _read_tsv(args.meta, ["key", "value"])]
    proxies: list[str] = []
    for r in runs_list:
        if r.proxy not in proxies:
            proxies.append(r.proxy)
    for row in idle:
        if row["proxy"] not in proxies:
            proxies.append(row["proxy"])
    scenarios = [s for s in SCENARIOS if any(r.scenario == s for r in runs_list)]
    rounds = max((r.round for r in runs_list), default=0)
    peers = [p for p in PEERS if p in proxies]

    out: list[str] = ["# bulwark benchmark", ""]
    for row in meta:
        out.append(f"- **{row['key']}**: {row['value']}")
    out.append("")

    if scenarios:
        multi = rounds > 1
        out.append("## Throughput, latency and CPU per request")
        out.append("")
        out.append(
            f"Medians over {rounds} round{'s' if multi else ''}"
            + ("; CPU µs/req also shows the min–max over rounds" if multi else "")
            + ". Ratio columns are this proxy ÷ the peer (median of per-round ratios): "
            "CPU below 1.00 is better, req/s above 1.00 is better."
        )
        out.append("")
        head = ["scenario", "proxy", "req/s", "p50", "p99", "CPU µs/req"]
        head += [f"CPU ÷ {p}" for p in peers] + [f"req/s ÷ {p}" for p in peers] + ["errors"]
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "|".join(["---", "---"] + ["---:"] * (len(head) - 2)) + "|")
        for s in scenarios:
            first = True
            for p in proxies:
                mine = [r for r in runs_list if r.scenario == s and r.proxy == p]
                if not mine:
                    continue
                ok = [r for r in mine if r.ok]
                cpu = [r.cpu_us for r in ok if r.cpu_us is not None]
                cells = [SCENARIOS[s] if first else "", p]
                first = False
                if not ok:
                    cells += ["failed"] + ["—"] * (len(head) - 4)
                    cells.append(str(sum(r.errors for r in mine)))
                    out.append("| " + " | ".join(cells) + " |")
                    continue
                cpu_med = _median(cpu)
                cpu_cell = _fmt_cpu(cpu_med) if cpu_med is not None else "n/a"
                if multi and len(cpu) > 1:
                    cpu_cell += f" ({_fmt_cpu(min(cpu))}–{_fmt_cpu(max(cpu))})"
                cells += [
                    _fmt_int(_median([r.rps for r in ok]) or 0),
                    _fmt_lat(_median([r.p50 for r in ok]) or float("nan")),
                    _fmt_lat(_median([r.p99 for r in ok]) or float("nan")),
                    cpu_cell,
                ]
                for peer in peers:
                    cells.append("—" if peer == p else _fmt_ratio(_ratio_median(runs, s, p, peer, "cpu_us"), True))
                for peer in peers:
                    cells.append("—" if peer == p else _fmt_ratio(_ratio_median(runs, s, p, peer, "rps")))
                errs = sum(r.errors for r in mine)
                failed = len(mine) - len(ok)
                cells.append(("⚠ " if errs or failed else "") + str(errs) + (f" ({failed} runs failed)" if failed else ""))
                out.append("| " + " | ".join(cells) + " |")
        out.append("")
        if any(r.errors for r in runs_list) or any(not r.ok for r in runs_list):
            out.append(
                "⚠ = socket errors or non-2xx responses (or runs that failed) in some round: "
                "those figures are suspect; see latest.tsv for the rounds."
            )
            out.append("")

    idle_bytes: dict[str, float] = {}
    if idle:
        n = idle[0]["count"]
        out.append(f"## Idle keep-alive connections ({n} connections, each after one GET /1k)")
        out.append("")
        out.append("RSS summed over the proxy's processes (Rss from /proc/PID/smaps_rollup).")
        out.append("")
        out.append("| proxy | RSS before | RSS with all idle | bytes per idle conn | after closing | held open / failed |")
        out.append("|---|---:|---:|---:|---:|---:|")
        for row in idle:
            opened = int(row["opened"] or 0)
            before, after, closed_kb = (int(row[k] or 0) for k in ("before_kb", "after_kb", "closed_kb"))
            per = (after - before) * 1024 / opened if opened else None
            if per is not None:
                idle_bytes[row["proxy"]] = per
            bad = int(row["failed"] or 0) + int(row["closed"] or 0)
            out.append(
                f"| {row['proxy']} | {before / 1024:.1f} MiB | {after / 1024:.1f} MiB | "
                f"{'n/a' if per is None else f'{per:,.0f}'} | {closed_kb / 1024:.1f} MiB | "
                f"{'⚠ ' if bad else ''}{row['still_open']} / {int(row['failed'] or 0) + int(row['closed'] or 0)} |"
            )
        out.append("")

    # The bar.
    failed_bar = False
    out.append("## The bar (bulwark)")
    out.append("")
    if "bulwark" not in proxies:
        out.append("bulwark was not measured in this run.")
    else:
        checks = []
        for s in BAR_SCENARIOS:
            if s not in scenarios:
                continue
            for peer in (p for p in peers if any(r.scenario == s and r.proxy == p for r in runs_list)):
                r = _ratio_median(runs, s, "bulwark", peer, "cpu_us")
                verdict = "n/a" if r is None else ("PASS" if r <= 1.0 else "FAIL")
                checks.append((f"{SCENARIOS[s]}: CPU/req ≤ {peer}'s", _fmt_ratio(r), verdict))
        if "bulwark" in idle_bytes:
            b = idle_bytes["bulwark"]
            checks.append((f"idle keep-alive connection ≤ {BAR_IDLE_BYTES} B RSS", f"{b:,.0f} B", "PASS" if b <= BAR_IDLE_BYTES else "FAIL"))
        out.append("| check | measured | verdict |")
        out.append("|---|---:|---|")
        for name, value, verdict in checks:
            failed_bar |= verdict != "PASS"
            out.append(f"| {name} | {value} | {verdict} |")
    out.append("")

    text = "\n".join(out)
    if args.out:
        Path(args.out).write_text(text)
    print(text)
    return 3 if args.strict and failed_bar else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wrk")
    w.add_argument("file")
    h = sub.add_parser("h2load")
    h.add_argument("file")
    h.add_argument("log")
    r = sub.add_parser("render")
    r.add_argument("--runs")
    r.add_argument("--idle")
    r.add_argument("--meta")
    r.add_argument("--out")
    r.add_argument("--strict", action="store_true")
    args = ap.parse_args()
    if args.cmd == "wrk":
        return cmd_wrk(args.file)
    if args.cmd == "h2load":
        return cmd_h2load(args.file, args.log)
    return render(args)


if __name__ == "__main__":
    sys.exit(main())
