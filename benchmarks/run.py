"""Run every benchmark case in one process and report: a table, JSON, and a PNG chart.

    python benchmarks/run.py [--count N] [--repeat R] [--json PATH] [--png PATH] [--only CASES]

Repetitions are interleaved (each repetition runs every case once, in a rotated
order) after one warm-up round, so that slow phases of a shared machine hit all
cases alike; each case reports the median, min and max of its repetitions.
The memory cases run once each, in a fresh child process. The optional cases (RELP,
TCP into rsyslogd per call beside it, journald, and stdlib logging without loguru into
our SyslogHandler or the standard SysLogHandler) run only when named in --only, and a
target on an optional case is reported only when that case ran. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_JSON = HERE / "results" / "latest.json"
DEFAULT_PNG = ROOT / "docs" / "assets" / "benchmark.png"
MEMORY_TIMEOUT = 600.0


Figures = Dict[str, float]


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    op: str  # "<=", "<" or ">="
    limit: float
    unit: str  # "x", "msgs/s" or "MB"
    #: The value from each needed case's figure (us per call; msgs/s end to end; MB of growth).
    compute: Callable[[Figures], float]
    needs: tuple[str, ...]
    #: Listed only when the run measured (or tried) every one of these cases: targets on
    #: optional cases stay out of the default run's report (which tests pin).
    only_with: tuple[str, ...] = ()


#: A case's figure is its median, or this extra of it.
FIGURE_KEYS = {
    "rsyslog-tcp-e2e": "msgs_per_s",
    "rsyslog-tcp-e2e-sink-alone": "msgs_per_s",
    "rsyslog-relp-e2e": "msgs_per_s",
}
#: Counts of trouble: summed over the repetitions (rates and times take the median).
SUMMED = ("dropped", "errors", "truncated", "resent", "rejected")

TARGETS = [
    Target(
        "udp-vs-stdlib",
        "ours UDP rfc5424 / loguru + stdlib SysLogHandler UDP, per call",
        "<=",
        0.85,
        "x",
        lambda f: f["ours-udp-rfc5424"] / f["loguru-stdlib-udp"],
        ("ours-udp-rfc5424", "loguru-stdlib-udp"),
    ),
    Target(
        "own-cost-vs-sendto",
        "(ours UDP rfc5424 - loguru no-op) / one raw sendto",
        "<=",
        1.5,
        "x",
        lambda f: (f["ours-udp-rfc5424"] - f["loguru-noop"]) / f["raw-sendto"],
        ("ours-udp-rfc5424", "loguru-noop", "raw-sendto"),
    ),
    Target(
        "background-vs-enqueue",
        "ours TCP background=True / loguru enqueue=True with the same sink, per call",
        "<=",
        0.3,
        "x",
        lambda f: f["ours-tcp-background"] / f["ours-tcp-enqueue"],
        ("ours-tcp-background", "ours-tcp-enqueue"),
    ),
    Target(
        "rsyslog-e2e",
        "end to end into rsyslog over TCP, one process",
        ">=",
        150_000,
        "msgs/s",
        lambda f: f["rsyslog-tcp-e2e"],
        ("rsyslog-tcp-e2e",),
    ),
    Target(
        "memory-peer-down",
        "RSS growth with the peer down (worse of direct and background)",
        "<",
        50,
        "MB",
        lambda f: max(f["memory-peer-down-direct"], f["memory-peer-down-background"]),
        ("memory-peer-down-direct", "memory-peer-down-background"),
    ),
    Target(
        "stdlib-vs-rfc5424",
        "logging + SyslogHandler UDP / logging + rfc5424-logging-handler UDP, per call",
        "<=",
        0.8,
        "x",
        lambda f: f["stdlib-ours-udp"] / f["stdlib-rfc5424-udp"],
        ("stdlib-ours-udp", "stdlib-rfc5424-udp"),
        only_with=("stdlib-ours-udp",),
    ),
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="logging calls per case per repetition")
    parser.add_argument("--repeat", type=int, default=15, help="measured repetitions (after one warm-up round)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON})")
    parser.add_argument("--png", type=Path, default=DEFAULT_PNG, help=f"chart file (default {DEFAULT_PNG})")
    parser.add_argument(
        "--only", default="", help="comma-separated case names (default: every case but the optional ones)"
    )
    parser.add_argument(
        "--memory-count", type=int, default=1_000_000, help="messages logged by each memory case (default 1M)"
    )
    parser.add_argument("--list", action="store_true", help="print the case names (optional ones marked) and exit")
    args = parser.parse_args(argv)
    if args.count < 1 or args.repeat < 1 or args.memory_count < 1:
        parser.error("--count, --repeat and --memory-count must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(HERE))
    import cases as bench  # after argparse: --help needs neither loguru nor the sink

    all_names = [case.name for case in bench.CASES] + list(bench.MEMORY_CASES)
    optional = {case.name for case in bench.CASES if case.optional}
    if args.list:
        print("\n".join(f"{name} (optional: run with --only)" if name in optional else name for name in all_names))
        return 0
    selected = [name.strip() for name in args.only.split(",") if name.strip()]
    selected = selected or [name for name in all_names if name not in optional]
    unknown = sorted(set(selected) - set(all_names))
    if unknown:
        print(f"unknown case(s): {', '.join(unknown)}; known: {', '.join(all_names)}", file=sys.stderr)
        return 2

    started = time.time()
    results: dict[str, Any] = {"meta": _meta(args), "cases": {}, "targets": []}
    timed_cases = [case for case in bench.CASES if case.name in selected]
    with tempfile.TemporaryDirectory(prefix="loguru-syslog-bench-") as tmp:
        results["cases"].update(run_timed(bench, timed_cases, args, Path(tmp)))
    for name, label in bench.MEMORY_CASES.items():
        if name in selected:
            results["cases"][name] = run_memory(name, label, args.memory_count)
    results["cases"] = {name: results["cases"][name] for name in all_names if name in results["cases"]}
    results["targets"] = evaluate(results["cases"])
    results["meta"]["seconds"] = round(time.time() - started, 1)

    print(format_table(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nJSON: {args.json}")
    try:
        import chart

        chart.render(results, args.png)
        print(f"chart: {args.png}")
    except ImportError as exc:
        print(f"chart: not rendered ({exc})", file=sys.stderr)
    return 0


def _meta(args: argparse.Namespace) -> dict[str, Any]:
    from importlib.metadata import version

    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_at_start": load,
        "loguru": version("loguru"),
        "loguru_syslog": version("loguru-syslog"),
        "source": source_version(ROOT),
        "count": args.count,
        "repeat": args.repeat,
        "memory_count": args.memory_count,
    }


def source_version(tree: Path) -> str:
    """The commit of `tree`, and whether its src/ had uncommitted changes (the code moves fast)."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(tree), "status", "--porcelain", "--", "src"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}{' + uncommitted changes in src/' if dirty else ''}" if commit else "unknown"


def run_timed(bench: Any, cases: list[Any], args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Warm-up round, then interleaved repetitions of every case; a summary per case."""
    out: dict[str, Any] = {}
    if not cases:
        return out
    env, skipped = bench.setup(cases, tmp)
    for case in cases:
        if case.name in skipped:
            out[case.name] = _skipped(case, skipped[case.name])
    runnable = [case for case in cases if case.name not in skipped]
    samples: dict[str, list[Any]] = {case.name: [] for case in runnable}
    errors: dict[str, str] = {}
    rounds = [("warm-up", max(args.count // 4, 1))]
    rounds += [(f"{number}/{args.repeat}", args.count) for number in range(1, args.repeat + 1)]
    try:
        for index, (round_name, count) in enumerate(rounds):
            shift = index % max(len(runnable), 1)
            order = runnable[shift:] + runnable[:shift]  # rotated: no case always runs first or last
            progress = []
            for case in order:
                if case.name in errors:
                    continue
                try:
                    sample = case.run(env, count)
                except Exception:
                    errors[case.name] = traceback.format_exc(limit=3).strip().splitlines()[-1]
                    print(f"{case.name}: {errors[case.name]}", file=sys.stderr)
                    continue
                if round_name != "warm-up":
                    samples[case.name].append(sample)
                progress.append(f"{case.name} {sample.us:.1f}")
            print(f"[{round_name}] " + ", ".join(progress), file=sys.stderr, flush=True)
    finally:
        received = bench.teardown(env)
    for case in runnable:
        if case.name in errors:
            out[case.name] = _skipped(case, f"error: {errors[case.name]}")
            continue
        out[case.name] = _summary(case, samples[case.name])
        if case.sockets:
            out[case.name]["extra"]["received_octets"] = sum(received.get(name, 0) for _, name in case.sockets)
        if case.name in env.journal_entries:  # every call of the case (warm-up included) vs the journal
            out[case.name]["extra"]["journal_calls"] = env.journal_calls.get(case.name, 0)
            out[case.name]["extra"]["journal_entries"] = env.journal_entries[case.name]
    return out


def _skipped(case: Any, why: str) -> dict[str, Any]:
    return {"label": case.label, "group": case.group, "unit": "us/call", "status": why}


def _summary(case: Any, samples: list[Any]) -> dict[str, Any]:
    values = [sample.us for sample in samples]
    extra: dict[str, Any] = {}
    for key in samples[0].extra:
        numbers = [sample.extra[key] for sample in samples]
        # Counts of trouble add up; rates and times are summarised like the main figure.
        extra[key] = sum(numbers) if key in SUMMED else statistics.median(numbers)
    return {
        "label": case.label,
        "group": case.group,
        "unit": "us/msg" if case.end_to_end else "us/call",
        "status": "ok",
        "samples": values,
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "extra": extra,
        "per_repetition": [sample.extra for sample in samples],
    }


def run_memory(name: str, label: str, count: int) -> dict[str, Any]:
    mode = name.rsplit("-", 1)[1]
    command = [sys.executable, str(HERE / "memory.py"), "--mode", mode, "--count", str(count)]
    print(f"[memory] {name}: {count} messages ...", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=MEMORY_TIMEOUT, check=True)
        result = json.loads(done.stdout)
    except (subprocess.SubprocessError, ValueError) as exc:
        stderr = getattr(exc, "stderr", "") or ""
        return {"label": label, "group": "ours", "unit": "MB", "status": f"error: {exc} {stderr[-500:]}".strip()}
    growth = result["growth_mb"]
    return {
        "label": label,
        "group": "ours",
        "unit": "MB",
        "status": "ok",
        "samples": [growth],
        "median": growth,
        "min": growth,
        "max": growth,
        "extra": result,
    }


def evaluate(cases: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target's value from the cases' medians, its verdict, and its range over the repetitions."""
    out = []
    for target in TARGETS:
        if any(name not in cases for name in target.only_with):
            continue
        entry: dict[str, Any] = {
            "name": target.name,
            "description": target.description,
            "op": target.op,
            "limit": target.limit,
            "unit": target.unit,
            "limit_text": f"target {target.op} {_number(target.limit, target.unit)}",
            "per_repetition": [],
        }
        missing = [name for name in target.needs if cases.get(name, {}).get("status") != "ok"]
        if missing:
            entry.update(value=None, value_text="n/a", verdict=f"n/a ({', '.join(missing)} not measured)")
            out.append(entry)
            continue
        value = target.compute({name: _figure(name, cases[name]) for name in target.needs})
        met = {"<=": value <= target.limit, "<": value < target.limit, ">=": value >= target.limit}[target.op]
        entry.update(value=value, value_text=_number(value, target.unit), verdict="PASS" if met else "FAIL")
        # The same ratio within each repetition (the cases ran close together): how much it moves.
        rounds = {len(cases[name]["samples"]) for name in target.needs}
        if len(rounds) == 1 and rounds.pop() > 1:
            repetitions = len(cases[target.needs[0]]["samples"])
            entry["per_repetition"] = [
                target.compute({name: _figure(name, cases[name], index) for name in target.needs})
                for index in range(repetitions)
            ]
        out.append(entry)
    return out


def _figure(name: str, case: dict[str, Any], repetition: int | None = None) -> float:
    key = FIGURE_KEYS.get(name)
    if repetition is None:
        return float(case["extra"][key] if key else case["median"])
    return float(case["per_repetition"][repetition][key] if key else case["samples"][repetition])


def _number(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "msgs/s":
        return f"{value / 1000:.0f}k msgs/s"
    return f"{value:.1f} {unit}"


def _notes(case: dict[str, Any]) -> str:
    extra = case.get("extra", {})
    notes = []
    if "msgs_per_s" in extra:
        notes.append(f"{extra['msgs_per_s'] / 1000:.0f}k msgs/s end to end")
        notes.append(f"calls {extra['calls_per_s'] / 1000:.0f}k/s")
    if "drained_us" in extra:
        notes.append(f"{extra['drained_us']:.1f} us/msg until drained")
    if case.get("unit") == "MB":
        notes.append(
            f"{extra['rss_before_mb']:.0f} -> {extra['rss_after_mb']:.0f} MB RSS, "
            f"{extra['us_per_call']:.1f} us/call, buffered {extra['buffered']} queued {extra['queued']}"
        )
    elif extra.get("dropped") or extra.get("errors"):
        notes.append(f"dropped {extra.get('dropped', 0)}, errors {extra.get('errors', 0)}")
    if extra.get("resent") or extra.get("rejected"):
        notes.append(f"resent {extra.get('resent', 0)}, rejected {extra.get('rejected', 0)}")
    if "journal_entries" in extra:
        notes.append(f"{extra['journal_entries']} of {extra['journal_calls']} calls in the journal")
    if "cpu_us" in extra and "journal_entries" in extra:
        notes.append(f"{extra['cpu_us']:.1f} us CPU/call")
    return "; ".join(notes)


def format_table(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        f"loguru-syslog benchmarks: {meta['count']} calls x {meta['repeat']} repetitions (+1 warm-up), "
        f"{meta['cpus']} vCPUs, Python {meta['python']}, loguru {meta['loguru']}, {meta['date']}, "
        f"source {meta['source']}",
        "",
        f"{'case':<28} {'description':<48} {'unit':<8} {'median':>8} {'min':>8} {'max':>8}  notes",
    ]
    for name, case in results["cases"].items():
        if case["status"] != "ok":
            lines.append(f"{name:<28} {case['label']:<48} {case['unit']:<8} {case['status']}")
            continue
        lines.append(
            f"{name:<28} {case['label']:<48} {case['unit']:<8} {case['median']:>8.2f} {case['min']:>8.2f} "
            f"{case['max']:>8.2f}  {_notes(case)}"
        )
    lines += [
        "",
        f"{'target':<24} {'what':<74} {'value':>14} {'per repetition':>22} {'limit':>22}  verdict",
    ]
    for target in results["targets"]:
        spread = target["per_repetition"]
        unit = target["unit"]
        spread_text = f"{_number(min(spread), unit)}..{_number(max(spread), unit)}" if spread else ""
        lines.append(
            f"{target['name']:<24} {target['description']:<74} {target['value_text']:>14} {spread_text:>22} "
            f"{target['limit_text']:>22}  {target['verdict']}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
