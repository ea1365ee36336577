"""Time the simulator: `python -m benchmarks [--sizes U,S,M,L] [--reps 3] [--quick] [--out DIR]`.

Each size and repetition runs in a fresh subprocess (`benchmarks/harness.py`), so its peak RSS
is its own. Reported: wall time (build + 365 days; median and min-max over repetitions),
customer-days per second (customers at the start x days / wall time), peak RSS; the speed ratio
to the per-agent reference (`benchmarks/reference.py`) at S and M, measured in the same run;
throughput scaling from S to L; a sweep of small runs on 1 and 2 local worker processes; and the
share of run time spent on data collection and on writing the outputs at M. Results go to
`results.md` and `results.json` in `--out` (default `benchmarks/results/`).

`--against REF` (or `--base-tree DIR`) times another version too, taking turns with this one
within every repetition so that both meet the same load, and adds a before/after table: CPU
seconds and runs per CPU-minute per size (U is the unit that studies run by the thousand),
customer-days per CPU-second and the reference ratio.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks import identity
from benchmarks.harness import SIZES, sweep_task, warm

ROOT = Path(__file__).resolve().parents[1]
GIB = 1024.0
# Targets from the "Performance" issue.
TARGET_REF_RATIO_M = 30.0
TARGET_L_SECONDS = 60.0
TARGET_L_RSS_MIB = 2 * GIB
TARGET_L_VS_M = 0.7  # customer-days/s at L at least 70% of M's
TARGET_SWEEP_SPEEDUP = 1.7
TARGET_COLLECTION_SHARE = 0.10


def child(job: dict[str, Any], tree: Path = ROOT) -> dict[str, Any]:
    """Run one job in a fresh interpreter on the simulator in `tree` and return its JSON line."""
    # The tree first, and as the working folder: `-m` puts the working folder on sys.path.
    return identity.json_from(
        tree, ["-m", "benchmarks.harness", json.dumps(job)], f"benchmark child ({job})"
    )


def stats_of(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(
            (ln.split(":", 1)[1].strip() for ln in cpu.splitlines() if ln.startswith("model name")),
            "unknown",
        )
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["mem_gib"] = round(int(mem) / 1024**2, 1)
    except OSError:
        pass
    try:
        import mesa
        import numpy

        info["mesa"], info["numpy"] = mesa.__version__, numpy.__version__
    except ImportError:
        pass
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    info["commit"] = commit.stdout.strip() or "unknown"
    return info


def load() -> float:
    return os.getloadavg()[0]


def bench_sizes(
    sizes: list[str], reps: int, log, trees: dict[str, Path] | None = None
) -> dict[str, dict[str, Any]]:
    """Each size on each tree ({"after": ROOT} unless another version is compared), the trees
    taking turns within every repetition so that both meet the same load."""
    trees = trees or {"after": ROOT}
    runs = _size_runs(sizes, reps, log, trees)
    return {
        label: {name: _size_result(name, reps, runs[name][label]) for name in sizes}
        for label in trees
    }


def _size_runs(sizes: list[str], reps: int, log, trees: dict[str, Path]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in sizes:
        spec = SIZES[name]
        out[name] = {label: [] for label in trees}
        for rep in range(reps):
            # The default model: the call centre's five-stage journey with its back office.
            job = {"model": "simulator", **spec, "seed": rep, "journey": "call_centre"}
            if name == "M":
                job.update(collection=True, outputs=True)
            for label, tree in trees.items():
                out[name][label].append(run := child(job, tree))
                log(f"  {name} {label} rep {rep + 1}/{reps}: {run['cpu_s']:.2f} CPU s")
    return out


def _size_result(name: str, reps: int, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One size's figures from its repetitions."""
    spec = SIZES[name]
    wall = [r["wall_s"] for r in runs]
    cdays = spec["customers"] * spec["days"]
    res = {
        **spec,
        "reps": reps,
        "runs": runs,
        "wall_s": stats_of(wall),
        "init_s": stats_of([r["init_s"] for r in runs]),
        "step_s": stats_of([r["step_s"] for r in runs]),
        "customer_days_per_s": stats_of([cdays / w for w in wall]),
        "cpu_s": stats_of([r["cpu_s"] for r in runs]),
        "peak_rss_mib": stats_of([r["peak_rss_mib"] for r in runs]),
        "base_rss_mib": stats_of([r["base_rss_mib"] for r in runs]),
    }
    if name == "M":
        res["collection_s"] = stats_of([r["collection_s"] for r in runs])
        res["outputs_s"] = stats_of([r["outputs_s"] for r in runs])
        share = statistics.median
        res["collection_share"] = share(r["collection_s"] / r["wall_s"] for r in runs)
        res["outputs_share"] = share(r["outputs_s"] / r["wall_s"] for r in runs)
        if all("outputs_no_figure_s" in r for r in runs):
            res["outputs_no_figure_share"] = share(
                r["outputs_no_figure_s"] / r["wall_s"] for r in runs
            )
    return res


def bench_reference(
    sizes: list[str],
    ref_days: dict[str, int],
    reps: int,
    log,
    trees: dict[str, Path] | None = None,
) -> dict[str, dict[str, Any]]:
    """Simulator and reference side by side, per customer-day of stepping (build excluded), both
    on the single-stage day the reference restates. With several trees, each tree's simulator
    is set against the same reference run (this tree's `benchmarks/reference.py`)."""
    trees = trees or {"after": ROOT}
    out: dict[str, dict[str, Any]] = {label: {} for label in trees}
    for name in sizes:
        spec = SIZES[name]
        days = min(ref_days[name], spec["days"])
        sim_rate: dict[str, list[float]] = {label: [] for label in trees}
        ref_rate: list[float] = []
        for rep in range(reps):
            jobs = [
                ("reference", ROOT, ref_rate),
                *((lb, t, sim_rate[lb]) for lb, t in trees.items()),
            ]
            for label, tree, rates in jobs:
                model = "reference" if label == "reference" else "simulator"
                r = child({"model": model, **spec, "days": days, "seed": rep}, tree)
                rates.append(spec["customers"] * days / r["step_s"])
                log(f"  {name} {label} rep {rep + 1}/{reps}: {r['step_s']:.2f} s for {days} days")
        for label in trees:
            ratio = [s / r for s, r in zip(sim_rate[label], ref_rate, strict=True)]
            out[label][name] = {
                "days": days,
                "scaled": days < spec["days"],
                "simulator_customer_days_per_s": stats_of(sim_rate[label]),
                "reference_customer_days_per_s": stats_of(ref_rate),
                "ratio": stats_of(ratio),
            }
    return out


def bench_sweep(runs: int, days: int, log) -> dict[str, Any]:
    """`runs` S-sized runs on a pool of 1 and of 2 worker processes (imports warmed first)."""
    spec = SIZES["S"]
    tasks = [(spec["employees"], spec["customers"], days, seed) for seed in range(runs)]
    out: dict[str, Any] = {"runs": runs, "days": days, **{k: spec[k] for k in ("employees",)}}
    ctx = multiprocessing.get_context("spawn")
    for workers in (1, 2):
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            list(pool.map(warm, range(workers * 4)))
            t0 = time.perf_counter()
            list(pool.map(sweep_task, tasks))
            wall = time.perf_counter() - t0
        out[f"workers_{workers}"] = {"wall_s": wall, "runs_per_s": runs / wall}
        log(f"  sweep {runs} runs on {workers} worker(s): {wall:.2f} s")
    out["speedup"] = out["workers_2"]["runs_per_s"] / out["workers_1"]["runs_per_s"]
    return out


def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    sizes, ref, sweep = res["sizes"], res.get("reference", {}), res.get("sweep")
    rows = []

    def add(name: str, value: float | None, goal: str, ok: bool | None) -> None:
        rows.append({"target": name, "value": value, "goal": goal, "met": ok})

    if "M" in ref:
        v = ref["M"]["ratio"]["median"]
        goal = f">= {TARGET_REF_RATIO_M:.0f}"
        add("speed vs reference at M (x)", v, goal, v >= TARGET_REF_RATIO_M)
    if "L" in sizes:
        v = sizes["L"]["wall_s"]["median"]
        add("L wall time (s)", v, f"< {TARGET_L_SECONDS:.0f}", v < TARGET_L_SECONDS)
        v = sizes["L"]["peak_rss_mib"]["median"]
        add("L peak RSS (MiB)", v, f"< {TARGET_L_RSS_MIB:.0f}", v < TARGET_L_RSS_MIB)
        if "M" in sizes:
            v = (
                sizes["L"]["customer_days_per_s"]["median"]
                / sizes["M"]["customer_days_per_s"]["median"]
            )
            add("customer-days/s L / M", v, f">= {TARGET_L_VS_M}", v >= TARGET_L_VS_M)
    if sweep:
        v = sweep["speedup"]
        ok = v >= TARGET_SWEEP_SPEEDUP
        add("sweep throughput 2 / 1 workers", v, f">= {TARGET_SWEEP_SPEEDUP}", ok)
    if "M" in sizes:
        m = sizes["M"]
        v = m["collection_share"] + m["outputs_share"]
        add(
            "collection + outputs share at M",
            v,
            f"< {TARGET_COLLECTION_SHARE:.0%}",
            v < TARGET_COLLECTION_SHARE,
        )
    return rows


def markdown(res: dict[str, Any]) -> str:
    mc = res["machine"]
    lines = [
        f"# Benchmark {res['started']}",
        "",
        f"Machine: {mc.get('nproc')} CPUs ({mc.get('cpu', '?')}), {mc.get('mem_gib', '?')} GiB; "
        f"Python {mc['python']}, Mesa {mc.get('mesa', '?')}, numpy {mc.get('numpy', '?')}; "
        f"commit {mc['commit']}. Load average (1 min) before / after: "
        f"{res['load_before']:.2f} / {res['load_after']:.2f}.",
        "",
        "| size | employees | customers | days | reps | wall s (median) | wall s (min-max) "
        "| CPU s | build s | customer-days/s | peak RSS MiB | RSS after imports MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in res["sizes"].items():
        w = r["wall_s"]
        lines.append(
            f"| {name} | {r['employees']:,} | {r['customers']:,} | {r['days']} | {r['reps']} "
            f"| {w['median']:.2f} | {w['min']:.2f}-{w['max']:.2f} | {r['cpu_s']['median']:.2f} "
            f"| {r['init_s']['median']:.2f} "
            f"| {r['customer_days_per_s']['median']:,.0f} | {r['peak_rss_mib']['median']:,.0f} "
            f"| {r['base_rss_mib']['median']:,.0f} |"
        )
    lines += [
        "",
        "Wall time = building the model + stepping every day; customer-days = customers at the "
        "start x days (the base grows about 10% a year on the defaults). CPU s = the child's "
        "CPU time for the same span: when it is well below wall time, the machine was busy.",
    ]
    if "U" in res["sizes"]:
        cpu = res["sizes"]["U"]["cpu_s"]["median"]
        lines += [
            "",
            f"At unit size (U: 20 employees, 5,000 customers, 3 years, the call centre's journey): "
            f"{60.0 / cpu:.1f} runs per CPU-minute, one run per process, interpreter start and "
            "imports excluded (batched runs are not built yet).",
        ]
    if res["load_before"] > 0.5 * (mc.get("nproc") or 1):
        lines += [
            "",
            f"**Warning: the machine was busy (load {res['load_before']:.1f} on "
            f"{mc.get('nproc')} CPUs) - wall times are inflated and the 2-worker sweep cannot "
            "show its speed-up. Re-run on an idle machine for numbers to compare.**",
        ]
    if res.get("reference"):
        lines += [
            "",
            "## Simulator / per-agent reference (stepping only, same process kind, same run)",
            "",
            "| size | days measured | simulator customer-days/s | reference customer-days/s "
            "| ratio (median) | ratio (min-max) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, r in res["reference"].items():
            days = f"{r['days']}" + (" (scaled per customer-day)" if r["scaled"] else "")
            lines.append(
                f"| {name} | {days} | {r['simulator_customer_days_per_s']['median']:,.0f} "
                f"| {r['reference_customer_days_per_s']['median']:,.0f} "
                f"| {r['ratio']['median']:.1f} | {r['ratio']['min']:.1f}-{r['ratio']['max']:.1f} |"
            )
        lines.append(
            "\nBoth models run the same number of days from a fresh build; the reference at M "
            "is measured on fewer days and compared per customer-day."
        )
    sizes = res["sizes"]
    if "L" in sizes and "S" in sizes:
        ratio = (
            sizes["L"]["customer_days_per_s"]["median"]
            / sizes["S"]["customer_days_per_s"]["median"]
        )
        lines += ["", f"Scaling: customer-days/s at L / at S = {ratio:.2f}."]
    if res.get("sweep"):
        s = res["sweep"]
        lines += [
            "",
            f"Sweep: {s['runs']} runs of S ({s['days']} days) on a process pool: "
            f"1 worker {s['workers_1']['runs_per_s']:.2f} runs/s, "
            f"2 workers {s['workers_2']['runs_per_s']:.2f} runs/s, speed-up {s['speedup']:.2f}x.",
        ]
    if "M" in sizes and "collection_s" in sizes["M"]:
        m = sizes["M"]
        lines += [
            "",
            f"At M: data collection (daily KPI row + surveys) {m['collection_s']['median']:.2f} s "
            f"({m['collection_share']:.1%} of wall time); writing the outputs "
            f"(`sim.outputs.write_outputs`: parquet + figure + summary) "
            f"{m['outputs_s']['median']:.2f} s ({m['outputs_share']:.1%}).",
        ]
        if "outputs_no_figure_share" in m:
            lines[-1] += (
                f" Without the figure (`write_outputs(..., figure=False)`, as a sweep would): "
                f"{m['outputs_no_figure_share']:.1%}."
            )
    if res.get("before"):
        lines += before_after(res)
    rows = targets(res)
    if rows:
        lines += ["", "## Targets", "", "| target | measured | goal | met |", "|---|---:|---|---|"]
        for t in rows:
            value = f"{t['value']:.1%}" if "share" in t["target"] else f"{t['value']:.2f}"
            lines.append(
                f"| {t['target']} | {value} | {t['goal']} | {'yes' if t['met'] else 'NO'} |"
            )
    return "\n".join(lines) + "\n"


def before_after(res: dict[str, Any]) -> list[str]:
    """The same measurements of another version, taken in turns with this one in the same run."""
    b = res["before"]
    lines = [
        "",
        f"## Before ({b['version']}) and after ({res['machine']['commit']}), in turns in one run",
        "",
        "| size | CPU s before | CPU s after | runs per CPU-minute before | after "
        "| customer-days per CPU-s before | after | speed-up (CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, after in res["sizes"].items():
        cpu_b, cpu_a = b["sizes"][name]["cpu_s"]["median"], after["cpu_s"]["median"]
        cdays = after["customers"] * after["days"]
        lines.append(
            f"| {name} | {cpu_b:.2f} | {cpu_a:.2f} | {60 / cpu_b:.1f} | {60 / cpu_a:.1f} "
            f"| {cdays / cpu_b:,.0f} | {cdays / cpu_a:,.0f} | {cpu_b / cpu_a:.2f}x |"
        )
    if b.get("reference"):
        lines += ["", "| size | reference ratio before | after |", "|---|---:|---:|"]
        for name, r in b["reference"].items():
            after = res["reference"][name]["ratio"]["median"]
            lines.append(f"| {name} | {r['ratio']['median']:.1f} | {after:.1f} |")
    lines.append(
        "\nCPU s = build + every day of one run (median over repetitions, imports excluded); "
        "the two versions take turns within each repetition, so both meet the same load. Both "
        "reference ratios divide by the same per-agent reference runs (this version's)."
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default=None, help="comma-separated sizes out of U,S,M,L (all)")
    p.add_argument("--reps", type=int, default=None, help="repetitions per size (3)")
    p.add_argument("--quick", action="store_true", help="S,M; 1 rep; short reference and sweep")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    p.add_argument("--no-reference", action="store_true", help="skip the reference comparison")
    p.add_argument("--no-sweep", action="store_true", help="skip the 1 vs 2 worker sweep")
    p.add_argument("--ref-days-m", type=int, default=None, help="days of the reference at M")
    other = p.add_mutually_exclusive_group()
    other.add_argument("--against", help="also time this git ref, side by side (before/after)")
    other.add_argument("--base-tree", type=Path, help="also time the checkout in this folder")
    a = p.parse_args(argv)
    sizes = (a.sizes or ("U,S,M" if a.quick else "U,S,M,L")).upper().split(",")
    bad = [s for s in sizes if s not in SIZES]
    if bad:
        p.error(f"unknown size {bad[0]!r}: choose from {','.join(SIZES)}")
    reps = a.reps or (1 if a.quick else 3)
    if reps < 1:
        p.error("--reps must be at least 1")
    ref_days = {"S": 60 if a.quick else 365, "M": a.ref_days_m or (10 if a.quick else 30)}
    ref_days["L"] = 3

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    res: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine(),
        "load_before": load(),
    }
    log(f"sizes {','.join(sizes)}, {reps} rep(s)")
    with tempfile.TemporaryDirectory(prefix="bench-before-") as tmp:
        trees = {"after": ROOT}
        if a.against or a.base_tree:
            before = a.base_tree or identity.unpack(a.against, Path(tmp))
            trees = {"before": before.resolve(), "after": ROOT}
            res["before"] = {"version": a.against or str(a.base_tree)}
        by_tree = bench_sizes(sizes, reps, log, trees)
        res["sizes"] = by_tree["after"]
        ref_sizes = [s for s in sizes if s in ("S", "M")]
        ref = {} if a.no_reference else bench_reference(ref_sizes, ref_days, reps, log, trees)
        if ref:
            res["reference"] = ref["after"]
        if "before" in res:
            res["before"].update(sizes=by_tree["before"], reference=ref.get("before", {}))
    if not a.no_sweep:
        res["sweep"] = bench_sweep(2 if a.quick else 4, 120 if a.quick else 365, log)
    res["load_after"] = load()
    res["targets"] = targets(res)
    a.out.mkdir(parents=True, exist_ok=True)
    text = markdown(res)
    (a.out / "results.md").write_text(text)
    (a.out / "results.json").write_text(json.dumps(res, indent=2) + "\n")
    print(text)
    print(f"written: {a.out / 'results.md'}, {a.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
