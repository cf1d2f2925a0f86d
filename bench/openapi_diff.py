"""OpenAPI diff on a large real API: GitHub's REST API description between two releases.

``@octokit/openapi`` 22.0.0 and 23.0.2, file ``generated/api.github.com.json`` (11.8 MB and
13.0 MB, 733 and 811 paths), fetched with ``npm pack`` into bench/.work/ when absent. orgloop's
``contracts diff`` engine runs in a subprocess started by ``bench.harness`` (wall time, CPU time
and the subprocess's own peak RSS, measured from outside);
in the same run the npm tool ``openapi-diff`` 0.24.1 runs on the same pair and on subsets (both
documents cut to the same first N paths, components kept), each with a timeout and a memory cap.
Targets for orgloop: <= 5 s and <= 1 GB. Writes bench/results/openapi_diff.json.

    .venv/bin/python -m bench.openapi_diff [--sizes 5,20,100] [--timeout 120] [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import harness

ROOT = Path(__file__).resolve().parent
WORK = ROOT / ".work"
RESULTS = ROOT / "results" / "openapi_diff.json"
RELEASES = ("22.0.0", "23.0.2")
MEMBER = "package/generated/api.github.com.json"
TOOL_VERSION = "0.24.1"
TARGET_SECONDS, TARGET_MB = 5.0, 1024.0


def machine_info(load_before: Sequence[float]) -> dict[str, Any]:
    """Cores, platform, versions (orgloop's side and the npm tool), load before and after."""
    return harness.machine(load_before, extra=("orjson",)) | {"openapi_diff": TOOL_VERSION}


# -- inputs ------------------------------------------------------------------------------------


def fetch_release(version: str, work: Path = WORK) -> Path:
    """The GitHub description of one ``@octokit/openapi`` release, packed with npm if absent."""
    target = work / "openapi_diff" / f"api.github.com-{version}.json"
    if target.exists():
        return target
    tarball = work / f"octokit-openapi-{version}.tgz"
    if not tarball.exists():
        work.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", f"@octokit/openapi@{version}"], cwd=work, check=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(MEMBER)
        assert member is not None, f"{tarball} has no {MEMBER}"
        target.write_bytes(member.read())
    return target


def install_tool(work: Path = WORK) -> Path:
    binary = work / "node" / "node_modules" / ".bin" / "openapi-diff"
    if not binary.exists():
        prefix = str(work / "node")
        subprocess.run(["npm", "install", "--prefix", prefix, f"openapi-diff@{TOOL_VERSION}"], check=True)  # fmt: skip
    return binary


def subset(base: dict[str, Any], new: dict[str, Any], size: int) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """Both documents cut to the same first ``size`` paths of the base that both have."""
    keys = [k for k in base.get("paths", {}) if k in new.get("paths", {})][:size]
    return tuple({**doc, "paths": {k: doc["paths"][k] for k in keys}} for doc in (base, new))  # type: ignore[return-value]


def write_subsets(base_path: Path, new_path: Path, sizes: Sequence[int]) -> dict[int, tuple[Path, Path]]:  # fmt: skip
    base, new = json.loads(base_path.read_text()), json.loads(new_path.read_text())
    files = {}
    for size in sizes:
        pair = []
        for name, doc in zip(("base", "new"), subset(base, new, size), strict=True):
            path = base_path.parent / f"subset-{size}-{name}.json"
            path.write_text(json.dumps(doc))
            pair.append(path)
        files[size] = (pair[0], pair[1])
    return files


# -- measuring a process -----------------------------------------------------------------------


def measure(command: Sequence[str], *, timeout: float, memory_cap_mb: float) -> dict[str, Any]:
    """Run ``command`` alone through ``bench.harness`` (its own peak RSS, not this process's);
    wall time, CPU time, and how it ended: finished, failed, timeout or out_of_memory (its own
    heap limit, or the RSS cap)."""
    run = harness.run(command, timeout=timeout, memory_cap_mb=memory_cap_mb)
    stderr = run["stderr"].encode()
    outcome = _outcome(run["exit_code"], stderr, capped=run["capped"], timed_out=run["timed_out"])
    return {
        "status": outcome, "seconds": round(run["seconds"], 2), "exit_code": run["exit_code"],
        "peak_rss_mb": run["peak_rss_mb"], "cpu_seconds": round(run["cpu_seconds"], 2),
        "stdout": run["stdout"], "stderr_tail": run["stderr"][-400:],
    }  # fmt: skip


def _outcome(code: int, stderr: bytes, *, capped: bool, timed_out: bool) -> str:
    if capped or b"heap out of memory" in stderr or b"MemoryError" in stderr:
        return "out_of_memory"
    if timed_out:
        return "timeout"
    # openapi-diff exits 1 when it finds breaking changes: that is a finished run.
    return "finished" if code in (0, 1) and not stderr.strip().startswith(b"Error") else "failed"


# -- orgloop's side ----------------------------------------------------------------------------


def orgloop_child(base: str, new: str) -> dict[str, Any]:
    """Runs inside the measured subprocess: load both files, diff, summarise the findings."""
    from orgloop.contracts.openapi.diff import diff
    from orgloop.contracts.openapi.loader import load_document
    from orgloop.contracts.openapi.policy import Policy

    t0 = time.perf_counter()
    documents = load_document(base), load_document(new)
    t1 = time.perf_counter()
    changes = diff(*documents, policy=Policy())
    t2 = time.perf_counter()
    return {"load_seconds": round(t1 - t0, 2), "diff_seconds": round(t2 - t1, 2),
            **summarise([(c.level, c.id) for c in changes])}  # fmt: skip


def summarise(findings: Sequence[tuple[str, str]]) -> dict[str, Any]:
    levels = Counter(level for level, _ in findings)
    return {
        "findings": len(findings),
        "by_level": {level: levels.get(level, 0) for level in ("error", "warning", "info")},
        "top_rules": Counter(rule for _, rule in findings).most_common(10),
    }


def run_orgloop(base: Path, new: Path, *, timeout: float, memory_cap_mb: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.openapi_diff", "--child", str(base), str(new)]
    result = measure(command, timeout=timeout, memory_cap_mb=memory_cap_mb)
    out = result.pop("stdout")
    if result["status"] == "finished" and result["exit_code"] == 0:
        result["summary"] = json.loads(out)
    return result


def run_tool(tool: Path, base: Path, new: Path, *, timeout: float, memory_cap_mb: float) -> dict[str, Any]:  # fmt: skip
    result = measure([str(tool), str(base), str(new)], timeout=timeout, memory_cap_mb=memory_cap_mb)
    out = result.pop("stdout")
    if result["status"] == "finished":
        result["summary"] = _tool_summary(out)
    return result


def _tool_summary(out: str) -> dict[str, Any]:
    start = out.find("{")
    try:
        data = json.loads(out[start:]) if start >= 0 else {}
    except ValueError:
        return {"unparsed_output_chars": len(out)}
    keys = ("breakingDifferences", "nonBreakingDifferences", "unclassifiedDifferences")
    return {key: len(data.get(key) or []) for key in keys}


# -- the run -----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_before = harness.load_average()
    base, new = (fetch_release(v) for v in RELEASES)
    tool = install_tool()
    pairs: dict[str, tuple[Path, Path]] = {"full": (base, new)}
    for size, pair in write_subsets(base, new, args.sizes).items():
        pairs[f"first {size} paths"] = pair
    cases = []
    for name, (b, n) in pairs.items():
        print(f"running {name} ...", file=sys.stderr, flush=True)
        ours = run_orgloop(b, n, timeout=args.timeout, memory_cap_mb=args.memory_cap_mb)
        theirs = run_tool(tool, b, n, timeout=args.timeout, memory_cap_mb=args.memory_cap_mb)
        cases.append({"case": name, "orgloop": ours, "openapi_diff": theirs, **_ratios(ours, theirs)})  # fmt: skip
    full = cases[0]["orgloop"]
    met = full["status"] == "finished" and full["seconds"] <= TARGET_SECONDS
    return {
        "releases": list(RELEASES), "tool": f"openapi-diff {TOOL_VERSION}",
        "timeout_seconds": args.timeout, "memory_cap_mb": args.memory_cap_mb,
        "target": {"seconds": TARGET_SECONDS, "peak_rss_mb": TARGET_MB},
        "orgloop_meets_target": met and full["peak_rss_mb"] <= TARGET_MB,
        "cases": cases, "machine": machine_info(load_before),
    }  # fmt: skip


def _ratios(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    if ours["status"] != "finished" or theirs["status"] != "finished":
        return {}
    return {
        "time_ratio": round(theirs["seconds"] / max(ours["seconds"], 0.01), 1),
        "memory_ratio": round(theirs["peak_rss_mb"] / max(ours["peak_rss_mb"], 1.0), 1),
    }


def render(result: dict[str, Any]) -> str:
    lines = [f"{'case':<18}{'orgloop':>22}{'openapi-diff':>30}{'ratio (time)':>14}"]
    for case in result["cases"]:
        ours, theirs = case["orgloop"], case["openapi_diff"]
        lines.append(
            f"{case['case']:<18}{_cell(ours):>22}{_cell(theirs):>30}"
            f"{case.get('time_ratio', '-')!s:>14}"
        )
    summary = result["cases"][0]["orgloop"].get("summary", {})
    lines.append(f"orgloop findings on the full pair: {summary.get('by_level')}; top rules: "
                 f"{summary.get('top_rules', [])[:5]}")  # fmt: skip
    lines.append(f"target <= {TARGET_SECONDS:g} s and <= {TARGET_MB:g} MB: "
                 f"{'met' if result['orgloop_meets_target'] else 'missed'}; machine {result['machine']}")  # fmt: skip
    return "\n".join(lines)


def _cell(run: dict[str, Any]) -> str:
    if run["status"] == "finished":
        return f"{run['seconds']} s, {run['peak_rss_mb']:g} MB"
    return f"{run['status']} @ {run['seconds']} s, {run['peak_rss_mb']:g} MB"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[5, 20, 100])  # fmt: skip
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds, per run")
    parser.add_argument("--memory-cap-mb", type=float, default=8192.0, help="RSS cap, per run")
    parser.add_argument("--quick", action="store_true", help="5 paths only, 20 s timeout")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--child", nargs=2, metavar=("BASE", "NEW"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        summary = orgloop_child(*args.child)
        print(json.dumps(summary))
        return summary
    if args.quick:
        args.sizes, args.timeout = [5], 20.0
    result = run(args)
    print(render(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
