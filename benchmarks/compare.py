"""Same-run comparison of two source trees on the hot path: an older commit against the current tree.

    git worktree add /tmp/bench-old <commit>
    python benchmarks/compare.py --old /tmp/bench-old [--new DIR] [--rounds N] [--count N]
                                 [--markdown PATH] [--json PATH]

Both trees are loaded into one process, each package under a name of its own (its `src/`
directory is imported as `loguru_syslog_old` / `loguru_syslog_new`; the package uses
relative imports only), and timed by the benchmark cases of `cases.py` (`loguru_ours`,
`loguru_sink`, `raw_sendto`) against one receiver process, every variant with a socket
of its own. After a warm-up round, each round runs every kind of case once per tree,
old and new back to back (which goes first alternates), kinds in a rotated order: slow
phases of a shared machine hit both trees alike, and the per-round difference new - old
cancels most of them.

Two figures per call: wall-clock time, and the calling thread's CPU time
(`time.thread_time()`: what the call cost, without the time the machine gave to other
processes; for background=True the writer thread is not in it). The controls run the
same code in both slots of a round (loguru's no-op floor, a raw sendto(), loguru + the
stdlib SysLogHandler): their new - old differences are the noise of the run.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import logging.handlers
import os
import socket
import ssl
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from run import source_version

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TREES = ("old", "new")
#: Kinds of case: (name, whether its code is the tree's, receiver socket kind or None).
KINDS = (
    ("loguru-noop", False, None),
    ("raw-sendto", False, "udp"),
    ("loguru-stdlib-udp", False, "udp"),
    ("ours-udp-rfc5424", True, "udp"),
    ("ours-udp-rfc3164", True, "udp"),
    ("ours-tcp", True, "tcp"),
    ("ours-tcp-background", True, "tcp"),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="root of the old tree (a git worktree)")
    parser.add_argument("--new", type=Path, default=ROOT, help=f"root of the new tree (default {ROOT})")
    parser.add_argument("--rounds", type=int, default=12, help="measured rounds (after one warm-up round)")
    parser.add_argument("--count", type=int, default=100_000, help="logging calls per case per tree per round")
    parser.add_argument("--markdown", type=Path, help="also write the markdown report here")
    parser.add_argument("--json", type=Path, help="also write every sample here")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.count < 1:
        parser.error("--rounds and --count must be positive")
    for tree in (args.old, args.new):
        if not (tree / "src" / "loguru_syslog" / "__init__.py").is_file():
            parser.error(f"{tree} has no src/loguru_syslog")
    return args


def load_tree(root: Path, name: str) -> ModuleType:
    """`root/src/loguru_syslog` imported as the package `name`."""
    package = root / "src" / "loguru_syslog"
    spec = importlib.util.spec_from_file_location(
        name, package / "__init__.py", submodule_search_locations=[str(package)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def describe(tree: Path) -> str:
    """The tree's commit, whether its src/ has uncommitted changes, and a digest of src/'s Python
    files (the same digest means the same code measured, whatever git says)."""
    digest = hashlib.sha256()
    for path in sorted((tree / "src").rglob("*.py")):
        digest.update(str(path.relative_to(tree)).encode() + b"\0" + path.read_bytes())
    code = f"src sha256 {digest.hexdigest()[:12]}"
    version = source_version(tree)
    return f"not a git tree, {code}" if version == "unknown" else f"{version}, {code}"


def make_runs(bench: Any, packages: dict[str, ModuleType]) -> dict[tuple[str, str], Callable[[Any, int], Any]]:
    """(kind, tree) -> a case's run(env, count) from cases.py, with that tree's SyslogSink."""

    def socket_name(kind: str, tree: str) -> str:
        return f"{kind}-{tree}"

    def ours(kind: str, tree: str) -> Callable[[Any, int], Any]:
        sink_class = packages[tree].SyslogSink
        name = socket_name(kind, tree)
        scheme = "udp" if "udp" in kind else "tcp"
        options: dict[str, Any] = {"app_name": "bench"}
        if "rfc3164" in kind:
            options["header"] = "rfc3164"
        background = kind.endswith("background")
        if background:
            options["background"] = True
        return bench.loguru_ours(
            lambda env: sink_class(f"{scheme}://127.0.0.1:{env.receivers.ports[name]}", **options),
            background=background,
        )

    def raw(tree: str) -> Callable[[Any, int], Any]:
        name = socket_name("raw-sendto", tree)

        def run(env: Any, count: int) -> Any:
            env.receivers.ports["raw"] = env.receivers.ports[name]  # raw_sendto sends to "raw"
            return bench.raw_sendto(env, count)

        return run

    def stdlib(tree: str) -> Callable[[Any, int], Any]:
        name = socket_name("loguru-stdlib-udp", tree)
        return bench.loguru_sink(
            lambda env: logging.handlers.SysLogHandler(("127.0.0.1", env.receivers.ports[name]), socket.SOCK_DGRAM)
        )

    runs: dict[tuple[str, str], Callable[[Any, int], Any]] = {}
    for kind, _, _ in KINDS:
        for tree in TREES:
            if kind == "loguru-noop":
                runs[kind, tree] = bench.loguru_sink(lambda env: bench._noop)
            elif kind == "raw-sendto":
                runs[kind, tree] = raw(tree)
            elif kind == "loguru-stdlib-udp":
                runs[kind, tree] = stdlib(tree)
            else:
                runs[kind, tree] = ours(kind, tree)
    return runs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(HERE))
    import cases as bench
    from loguru import logger
    from receivers import Receivers, ReceiverSpec

    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    packages = {tree: load_tree(path, f"loguru_syslog_{tree}") for tree, path in trees.items()}
    meta: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "loadavg_at_start": os.getloadavg()[0],
        "old": f"{trees['old']} ({describe(trees['old'])})",
        "new": f"{trees['new']} ({describe(trees['new'])})",
        "rounds": args.rounds,
        "count": args.count,
        "command": " ".join(["python", *sys.argv]),
    }
    logger.remove()
    spec = ReceiverSpec()
    for kind, _, socket_kind in KINDS:
        for tree in TREES:
            if socket_kind is not None:
                getattr(spec, socket_kind).append(f"{kind}-{tree}")
    env = bench.Env(receivers=Receivers(spec), client_tls=ssl.create_default_context(), payload=bench.our_datagram())
    runs = make_runs(bench, packages)
    # samples[kind][tree] = [(wall us, cpu us)] per round
    samples: dict[str, dict[str, list[tuple[float, float]]]] = {
        kind: {tree: [] for tree in TREES} for kind, *_ in KINDS
    }
    started = time.time()
    try:
        for number in range(args.rounds + 1):
            warm = number == 0
            shift = number % len(KINDS)
            order = KINDS[shift:] + KINDS[:shift]
            first = TREES if number % 2 == 0 else TREES[::-1]
            progress = []
            for kind, _, _ in order:
                for tree in first:
                    sample = runs[kind, tree](env, max(args.count // 4, 1) if warm else args.count)
                    if sample.extra.get("errors") or sample.extra.get("dropped"):
                        raise RuntimeError(f"{kind} ({tree}): {sample.extra}")
                    if not warm:
                        samples[kind][tree].append((sample.us, sample.extra["cpu_us"]))
                    progress.append(f"{kind}/{tree} {sample.us:.2f}")
            label = "warm-up" if warm else f"{number}/{args.rounds}"
            print(f"[{label}] " + ", ".join(progress), file=sys.stderr, flush=True)
    finally:
        received = env.receivers.stop()
    meta["seconds"] = round(time.time() - started, 1)
    meta["loadavg_at_end"] = os.getloadavg()[0]
    meta["received_octets"] = received
    report = format_report(meta, samples)
    print(report)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(report + "\n")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"meta": meta, "samples": samples}, indent=2) + "\n")
    return 0


def _row(label: str, old: list[float], new: list[float]) -> str:
    """Medians per tree (min..max), and the median of the per-round differences (min..max)."""
    deltas = sorted(b - a for a, b in zip(old, new))
    old_median, new_median = statistics.median(old), statistics.median(new)
    quartiles = statistics.quantiles(deltas, n=4) if len(deltas) > 1 else [deltas[0]] * 3
    return (
        f"| {label} | {old_median:.2f} ({min(old):.2f}..{max(old):.2f}) "
        f"| {new_median:.2f} ({min(new):.2f}..{max(new):.2f}) "
        f"| {statistics.median(deltas):+.2f} ({quartiles[0]:+.2f}..{quartiles[2]:+.2f}) "
        f"| {new_median / old_median:.3f} |"
    )


def format_report(meta: dict[str, Any], samples: dict[str, dict[str, list[tuple[float, float]]]]) -> str:
    lines = [
        f"Old: `{meta['old']}`  ",
        f"New: `{meta['new']}`  ",
        f"Python {meta['python']}, {meta['cpus']} CPUs, load average {meta['loadavg_at_start']:.2f} at the start, "
        f"{meta['loadavg_at_end']:.2f} at the end; {meta['rounds']} rounds x {meta['count']:,} calls per case "
        f"per tree, {meta['seconds']:.0f} s.",
    ]
    controls = {kind for kind, ours, _ in KINDS if not ours}
    for index, title in ((0, "Wall-clock"), (1, "Thread CPU time (`time.thread_time()`)")):
        lines += [
            "",
            f"{title}, us per call: median over the rounds (min..max); new - old: median of the per-round "
            "differences (interquartile range); ratio of the medians.",
            "",
            "| case | old | new | new - old | new / old |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for kind, *_ in KINDS:
            label = f"{kind} (control: same code)" if kind in controls else kind
            old = [sample[index] for sample in samples[kind]["old"]]
            new = [sample[index] for sample in samples[kind]["new"]]
            lines.append(_row(label, old, new))
        lines += [
            "",
            "Own cost (the same, minus `loguru-noop` of the same slot and round):",
            "",
            "| case | old | new | new - old | new / old |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for kind, *_ in KINDS:
            if kind in ("loguru-noop", "raw-sendto"):
                continue
            own = {
                tree: [s[index] - f[index] for s, f in zip(samples[kind][tree], samples["loguru-noop"][tree])]
                for tree in TREES
            }
            label = f"{kind} (control: same code)" if kind in controls else kind
            lines.append(_row(label, own["old"], own["new"]))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
