"""Same-run comparison of two source trees on the hot path: old commit against the current tree.

    git worktree add /tmp/bench-old <commit>
    python benchmarks/compare.py --old /tmp/bench-old [--new DIR] [--rounds N] [--count N]
                                 [--cases A,B,...] [--markdown PATH] [--json PATH]

Each round runs `benchmarks/run.py` (these benchmark cases, whichever tree is measured) once per
tree, in a child process whose PYTHONPATH puts that tree's `src/` first; the trees alternate and
the first tree of a round alternates too, so slow phases of a shared machine hit both alike. Each
child times every case once (after run.py's warm-up round); the figures are the medians over the
rounds.

The floors and the stdlib handler run the same code in both trees: their old-vs-new difference is
the noise of the run. `own cost` is a case minus loguru's no-op floor measured in the same child,
which cancels most of the slow phases. The raw-sendto payload is computed once, here, with the
current tree (the wire output is the same byte for byte) and given to both children.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RUN = HERE / "run.py"
DEFAULT_CASES = (
    "loguru-noop",
    "raw-sendto",
    "loguru-stdlib-udp",
    "ours-udp-rfc5424",
    "ours-udp-rfc3164",
    "ours-tcp",
    "ours-tcp-background",
)
#: Cases whose code is the same in both trees: their differences measure the noise.
CONTROLS = ("loguru-noop", "raw-sendto", "loguru-stdlib-udp", "loguru-stdlib-tcp")
FLOOR = "loguru-noop"
CHILD_TIMEOUT = 900.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="root of the old tree (a git worktree)")
    parser.add_argument("--new", type=Path, default=ROOT, help=f"root of the new tree (default {ROOT})")
    parser.add_argument("--rounds", type=int, default=8, help="rounds; each runs every case once per tree")
    parser.add_argument("--count", type=int, default=100_000, help="logging calls per case per child")
    parser.add_argument("--cases", default=",".join(DEFAULT_CASES), help="comma-separated run.py case names")
    parser.add_argument("--markdown", type=Path, help="also write the markdown report here")
    parser.add_argument("--json", type=Path, help="also write every sample here")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.count < 1:
        parser.error("--rounds and --count must be positive")
    for tree in (args.old, args.new):
        if not (tree / "src" / "loguru_syslog" / "__init__.py").is_file():
            parser.error(f"{tree} has no src/loguru_syslog")
    return args


def describe(tree: Path) -> str:
    """The tree's commit, whether its src/ has uncommitted changes, and a digest of src/'s Python files
    (the same digest means the same code measured, whatever git says)."""
    digest = hashlib.sha256()
    for path in sorted((tree / "src").rglob("*.py")):
        digest.update(str(path.relative_to(tree)).encode() + b"\0" + path.read_bytes())
    code = f"src sha256 {digest.hexdigest()[:12]}"
    try:
        commit = subprocess.run(
            ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(tree), "status", "--porcelain", "--", "src"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return code
    if not commit:
        return f"not a git tree, {code}"
    return f"{commit}{' + uncommitted changes in src/' if dirty else ''}, {code}"


def payload_hex(tree: Path) -> str:
    """The datagram our sink sends for the benchmark message (the raw-sendto floor's payload)."""
    code = "import sys; sys.path.insert(0, sys.argv[1]); import cases; print(cases.our_datagram().hex())"
    done = subprocess.run(
        [sys.executable, "-c", code, str(HERE)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_environ(tree, None),
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def _environ(tree: Path, payload: str | None) -> dict[str, str]:
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join([str(tree / "src"), *filter(None, [environ.get("PYTHONPATH")])])
    if payload is not None:
        environ["LOGURU_SYSLOG_BENCH_PAYLOAD"] = payload
    return environ


def run_child(tree: Path, cases: str, count: int, payload: str, tmp: Path, tag: str) -> dict[str, Any]:
    """One run.py child: every case once (after its warm-up round); the cases' results."""
    json_path = tmp / f"{tag}.json"
    command = [sys.executable, str(RUN), "--only", cases, "--count", str(count), "--repeat", "1"]
    command += ["--json", str(json_path), "--png", str(tmp / f"{tag}.png")]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=CHILD_TIMEOUT, env=_environ(tree, payload), cwd=str(HERE)
    )
    if done.returncode != 0:
        raise RuntimeError(f"run.py failed for {tree} ({tag}):\n{done.stderr[-3000:]}")
    results = json.loads(json_path.read_text())
    check = subprocess.run(
        [sys.executable, "-c", "import loguru_syslog; print(loguru_syslog.__file__)"],
        capture_output=True,
        text=True,
        timeout=30,
        env=_environ(tree, None),
    ).stdout.strip()
    if not check.startswith(str(tree.resolve() / "src")):
        raise RuntimeError(f"the child imported {check}, not the tree {tree}")
    cases_out: dict[str, Any] = results["cases"]
    return cases_out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = [name.strip() for name in args.cases.split(",") if name.strip()]
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    meta = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "loadavg_at_start": os.getloadavg()[0],
        "old": f"{trees['old']} ({describe(trees['old'])})",
        "new": f"{trees['new']} ({describe(trees['new'])})",
        "rounds": args.rounds,
        "count": args.count,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }
    payload = payload_hex(trees["new"])
    # samples[tree][case] = one figure per round (us per call)
    samples: dict[str, dict[str, list[float]]] = {tree: {name: [] for name in names} for tree in trees}
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="loguru-syslog-compare-") as tmp:
        for number in range(args.rounds):
            order = ["old", "new"] if number % 2 == 0 else ["new", "old"]
            progress = []
            for tree in order:
                cases = run_child(trees[tree], ",".join(names), args.count, payload, Path(tmp), f"{tree}-{number}")
                for name in names:
                    case = cases[name]
                    if case["status"] != "ok":
                        raise RuntimeError(f"{name} in {tree}: {case['status']}")
                    samples[tree][name].append(case["median"])
                progress.append(f"{tree}: " + " ".join(f"{name} {samples[tree][name][-1]:.2f}" for name in names))
            print(f"[round {number + 1}/{args.rounds}] " + " | ".join(progress), file=sys.stderr, flush=True)
    meta["seconds"] = round(time.time() - started, 1)
    meta["loadavg_at_end"] = os.getloadavg()[0]
    report = format_report(meta, names, samples)
    print(report)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(report + "\n")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"meta": meta, "samples": samples}, indent=2) + "\n")
    return 0


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f}..{max(values):.2f}"


def _row(label: str, old: list[float], new: list[float]) -> str:
    """Medians per tree, and the median of the per-round differences (old and new ran back to back)."""
    deltas = [b - a for a, b in zip(old, new)]
    old_median, new_median = statistics.median(old), statistics.median(new)
    ratio = new_median / old_median if old_median else float("nan")
    return (
        f"| {label} | {old_median:.2f} ({_spread(old)}) | {new_median:.2f} ({_spread(new)}) "
        f"| {statistics.median(deltas):+.2f} ({min(deltas):+.2f}..{max(deltas):+.2f}) | {ratio:.3f} |"
    )


def format_report(meta: dict[str, Any], names: list[str], samples: dict[str, dict[str, list[float]]]) -> str:
    lines = [
        f"Old: {meta['old']}  ",
        f"New: {meta['new']}  ",
        f"Python {meta['python']}, {meta['cpus']} CPUs, load average {meta['loadavg_at_start']:.2f} at the start, "
        f"{meta['loadavg_at_end']:.2f} at the end; {meta['rounds']} rounds x {meta['count']:,} calls per case "
        f"per tree, {meta['seconds']:.0f} s.",
        "",
        "us per call: median over the rounds (min..max); new - old: median of the per-round differences "
        "(min..max); ratio of the medians.",
        "",
        "| case | old | new | new - old | new / old |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name in names:
        label = f"{name} (same code in both)" if name in CONTROLS else name
        lines.append(_row(label, samples["old"][name], samples["new"][name]))
    if FLOOR in names:
        lines += [
            "",
            f"Own cost: each case minus `{FLOOR}` measured in the same child (cancels most slow phases).",
            "",
            "| case | old | new | new - old | new / old |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for name in names:
            if name == FLOOR or not name.startswith(("loguru-", "ours-")):
                continue  # only what runs inside loguru has the floor in it
            own = {
                tree: [value - floor for value, floor in zip(samples[tree][name], samples[tree][FLOOR])]
                for tree in samples
            }
            label = f"{name} (same code in both)" if name in CONTROLS else name
            lines.append(_row(label, own["old"], own["new"]))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
