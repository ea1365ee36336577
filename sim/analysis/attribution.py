"""Attribution of each scenario's effect by channel (issue 13 item 8): which path of the chain
carries the result, so that an assumption that carries it is visible.

A channel is a set of (stage, lever) reads of the day (sim/config/hold.py: staffing, morale,
encounters, recovery, costs, acquisition). Holding channel c for scenario S runs S with c's reads
taking the baseline's levers, everything else S's, on the same seed (common random numbers).
Then, per seed and KPI,

    full effect       = KPI(S) - KPI(baseline)
    effect through c  = KPI(S) - KPI(S with c held)      (what vanishes when c is switched off)
    interaction       = full effect - sum over c of the effect through c

and the share of c is mean(through c) / mean(full effect) (a ratio of means over seeds, with a
percentile bootstrap over seeds). The shares need not add up to 100%: channels interact (the
encounters a happier staff give customers also pay wages), and the remainder says how much.
A channel none of whose levers the scenario changes is not run: its held run would be the
scenario's own, number for number, so its effect is exactly zero (`held_run` False).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.analysis.text import fmt, label  # noqa: E402
from sim.config import PolicyConfig, SimConfig  # noqa: E402
from sim.config.hold import CHANNELS, LEVERS, HoldConfig, channel_levers  # noqa: E402
from sim.stats import Estimate, mean_ci, ratio_ci  # noqa: E402

# The KPIs decomposed (those of the comparison that are here), and the one a sentence leads with.
KPIS = ("csat_mean", "profit", "employee_turnover_annual")
# A channel carrying more than this share of an effect is flagged (assumption: where one path
# carries four fifths, the result stands or falls with that path's assumptions).
DOMINANT = 0.8
# A channel pulling against the effect by more than this share of it makes the sentence a
# balance ("nets +70,000 through morale against -73,000 through recovery").
OFFSET = 0.25
REMAINDER = "interaction"  # the row of what the channels' effects do not add up to
SEP = "~"  # arm label of a held run: <scenario>~<channel>


@dataclass(frozen=True)
class Report:
    """What the comparison's report shows of the attribution."""

    table: pd.DataFrame  # attribution_table's
    figure: str  # the figure's file name, next to report.md
    seeds: str  # which replications, in words ("seeds 0..4")


def changed_levers(scenario: PolicyConfig, baseline: PolicyConfig) -> tuple[str, ...]:
    """The levers the scenario sets differently from the baseline, in the schema's order."""
    return tuple(lv for lv in LEVERS if getattr(scenario, lv) != getattr(baseline, lv))


def live_channels(scenario: PolicyConfig, baseline: PolicyConfig) -> dict[str, tuple[str, ...]]:
    """Per channel that reads a lever the scenario changes, those levers (the runs to make)."""
    changed = set(changed_levers(scenario, baseline))
    out = {}
    for name in CHANNELS:
        levers = tuple(lv for lv in channel_levers(name) if lv in changed)
        if levers:
            out[name] = levers
    return out


def held_config(config: SimConfig, channel: str, baseline: PolicyConfig) -> SimConfig:
    """The scenario's config with `channel` reading the baseline's levers (a normal run whose
    config says what was held)."""
    out = copy.deepcopy(config)
    out.hold = HoldConfig(channels=[channel], policy=asdict(baseline))
    return out


def held_arms(
    configs: dict[str, SimConfig], scenarios: Sequence[str], baseline: str
) -> dict[str, SimConfig]:
    """Every held run to make: `<scenario>~<channel>` -> its config."""
    base = configs[baseline].policy
    return {
        f"{s}{SEP}{c}": held_config(configs[s], c, base)
        for s in scenarios
        for c in live_channels(configs[s].policy, base)
    }


def _per_seed(runs: pd.DataFrame, arm: str, kpi: str) -> pd.Series:
    d = runs.loc[runs["scenario"] == arm, ["seed", kpi]].set_index("seed")[kpi]
    if d.index.has_duplicates:
        raise ValueError(f"{arm}: a seed appears twice")
    return d.sort_index()


def attribution_table(
    runs: pd.DataFrame,
    *,
    configs: dict[str, SimConfig],
    scenarios: Sequence[str],
    baseline: str,
    seeds: Sequence[int],
    kpis: Sequence[str] = KPIS,
    conf: float = 0.95,
) -> pd.DataFrame:
    """One row per scenario, KPI and channel (and the interaction remainder): the effect
    through the channel with its paired t interval over `seeds`, its share of the full effect
    with a bootstrap interval, whether a held run was made and the changed levers it reads.

    `runs` holds one row per run with `scenario` (a scenario, the baseline or a held arm
    `<scenario>~<channel>`), `seed` and the KPIs.
    """
    runs = runs[runs["seed"].isin(list(seeds))]
    base_policy = configs[baseline].policy
    rows = []
    for s in scenarios:
        live = live_channels(configs[s].policy, base_policy)
        for kpi in kpis:
            own = _per_seed(runs, s, kpi)
            full = own - _per_seed(runs, baseline, kpi).reindex(own.index)
            total = mean_ci(full.to_numpy(), conf)
            summed = pd.Series(0.0, index=own.index)
            for name in CHANNELS:
                if name in live:
                    held = _per_seed(runs, f"{s}{SEP}{name}", kpi).reindex(own.index)
                    through = own - held
                else:  # its held run is the scenario's own run: exactly no effect
                    through = pd.Series(0.0, index=own.index)
                summed += through
                rows.append(
                    _row(s, kpi, name, through, full, conf, name in live, live.get(name, ()))
                )
            rows.append(_row(s, kpi, REMAINDER, full - summed, full, conf, False, ()))
            rows.append(
                {
                    "scenario": s,
                    "kpi": kpi,
                    "channel": "total",
                    "effect": total.value,
                    "ci_low": total.lo,
                    "ci_high": total.hi,
                    "share": 1.0,
                    "share_ci_low": np.nan,
                    "share_ci_high": np.nan,
                    "n_seeds": total.n,
                    "held_run": False,
                    "levers": ", ".join(changed_levers(configs[s].policy, base_policy)),
                }
            )
    return pd.DataFrame(rows)


def _row(
    scenario: str,
    kpi: str,
    channel: str,
    through: pd.Series,
    full: pd.Series,
    conf: float,
    ran: bool,
    levers: tuple[str, ...],
) -> dict[str, object]:
    est = mean_ci(through.to_numpy(), conf)
    # No effect on any seed: nothing to share out (and a bootstrap of 0/0 has no values).
    nothing = not np.any(full.to_numpy() != 0)
    share = (
        Estimate(np.nan, np.nan, np.nan, 0)
        if nothing
        else ratio_ci(through.to_numpy(), full.to_numpy(), conf)
    )
    return {
        "scenario": scenario,
        "kpi": kpi,
        "channel": channel,
        "effect": est.value,
        "ci_low": est.lo,
        "ci_high": est.hi,
        "share": share.value + 0.0,  # no "-0.0" for a channel with no effect
        "share_ci_low": share.lo,
        "share_ci_high": share.hi,
        "n_seeds": est.n,
        "held_run": ran,
        "levers": ", ".join(levers),
    }


# ---- words ----------------------------------------------------------------------------------
def _share(v: float) -> str:
    return f"{100 * v:.0f}%" if math.isfinite(v) else "n/a"


def _kpi_part(k: pd.DataFrame, kpi: str) -> tuple[str, tuple[str, str, str] | None]:
    """What one KPI's rows say (`k`: indexed by channel), and if one channel carries the effect
    (switching it off would leave less than 1 - DOMINANT of it, or turn it round): that
    channel, its levers and what the effect would be without it."""
    total = k.loc["total"]
    chans = k.drop(index=["total", REMAINDER])
    name, full = label(kpi), float(total["effect"])
    if not math.isfinite(full) or full == 0:
        return f"{name}: no effect to attribute", None
    size = fmt(full, kpi, signed=True)
    # Whether the effect itself is clear: the comparison's verdict over every replication when
    # given (a few attribution seeds give a wide interval), else this table's own interval.
    verdict = total.get("verdict")
    if isinstance(verdict, str):
        clear = verdict != "unclear"
    else:
        clear = not (total["ci_low"] <= 0 <= total["ci_high"])
    size += "" if clear else ", itself not clearly away from zero"
    share = chans["share"].astype(float)
    top = str(share.idxmax())
    r = chans.loc[top]
    against = share[share < -OFFSET]
    if not against.empty:  # channels pulling both ways: the net is a balance, say so
        pos = [c for c in share.index if share[c] > OFFSET]
        each = lambda cs: " and ".join(  # noqa: E731
            f"{fmt(chans.loc[c, 'effect'], kpi, signed=True)} through {c}" for c in cs
        )
        text = f"its {name} effect ({size}) nets {each(pos)} against {each(against.index)}"
    else:
        interval = (
            f" [{_share(r['share_ci_low'])}, {_share(r['share_ci_high'])}]"
            if math.isfinite(r["share_ci_low"])
            else ""
        )
        text = f"{_share(r['share'])} of its {name} effect ({size}) goes through {top}{interval}"
    flag = None
    if clear and r["share"] > DOMINANT:
        without = fmt(full - float(r["effect"]), kpi, signed=True)
        flag = (top, r["levers"], f"{name} {without} instead of {fmt(full, kpi, signed=True)}")
    return text, flag


def scenario_sentence(table: pd.DataFrame, scenario: str) -> str:
    """One sentence per scenario: per KPI, the channel carrying most of its effect with its
    share (or, when channels pull both ways, the balance), and a flag for each effect that one
    channel carries (more than DOMINANT of it)."""
    d = table[table["scenario"] == scenario]
    parts, flags = [], {}
    for kpi in dict.fromkeys(d["kpi"]):
        text, flag = _kpi_part(d[d["kpi"] == kpi].set_index("channel"), kpi)
        parts.append(text)
        if flag:
            channel, levers, what = flag
            flags.setdefault((channel, levers), []).append(what)
    text = f"**{scenario}**: " + "; ".join(parts) + "."
    if flags:
        said = "; ".join(f"without {c} ({lv}): {', '.join(w)}" for (c, lv), w in flags.items())
        text += (
            f" **Rests on one channel**: {said}. The result stands or falls with how that part "
            "of the model responds to those levers."
        )
    return text


def with_verdicts(table: pd.DataFrame, comparison: pd.DataFrame) -> pd.DataFrame:
    """`table` with the comparison's verdict (over every replication) on its `total` rows: the
    report then calls an effect clear as the comparison does."""
    verdicts = comparison.set_index(["scenario", "kpi"])["verdict"]
    keys = zip(table["scenario"], table["kpi"], strict=True)
    out = table.copy()
    out["verdict"] = [
        verdicts.get(k) if ch == "total" else None
        for k, ch in zip(keys, table["channel"], strict=True)
    ]
    return out


def attribution_section(report: Report) -> list[str]:
    """The report's section: how it was done, one sentence per scenario, the figure."""
    table = report.table
    lines = [
        "## Where each effect comes from (attribution by channel)",
        "",
        "Each scenario ran again with one channel of the chain switched off: that channel's",
        "stages read the baseline's levers, every other stage the scenario's, on the same seed.",
        "The effect through a channel is what vanishes when it is switched off; its share is",
        "that over the full effect (mean over seeds; bootstrap interval over seeds in brackets).",
        "Channels interact, so the shares need not add up to 100%: the `interaction` rows of",
        "attribution.csv hold the remainder; where channels pull both ways the sentence gives",
        "the balance. **Rests on one channel** marks an effect that is clear (the comparison's",
        f"verdict, over every seed) and would lose more than {DOMINANT:.0%} of itself, or turn",
        "round, without one channel. A",
        "channel reading none of the levers a scenario changes was not run (its effect is",
        f"exactly zero). Replications: {report.seeds}; each effect's paired t interval is in",
        "attribution.csv. The channels (sim/config/hold.py; docs/EXPERIMENTS.md):",
        "",
        *[f"- {n}: {c.meaning}" for n, c in CHANNELS.items()],
        "",
        "What carries each scenario's effect:",
        "",
        *[f"- {scenario_sentence(table, s)}" for s in dict.fromkeys(table["scenario"])],
        "",
        f"![Attribution by channel]({report.figure})",
        "",
    ]
    return lines


# ---- the figure -----------------------------------------------------------------------------
def attribution_figure(table: pd.DataFrame, path: Path) -> None:
    """One panel per KPI: per scenario, the effects through each channel stacked (positive to
    the right, negative to the left), the interaction remainder hatched, the full effect a dot."""
    kpis = list(dict.fromkeys(table["kpi"]))
    names = list(dict.fromkeys(table["scenario"]))
    parts = [*CHANNELS, REMAINDER]
    colour = {n: plt.get_cmap("tab10")(i) for i, n in enumerate(CHANNELS)}
    colour[REMAINDER] = "lightgrey"
    fig, axes = plt.subplots(1, len(kpis), figsize=(5 * len(kpis), 0.5 * len(names) + 2.2))
    y = np.arange(len(names))
    for ax, kpi in zip(np.atleast_1d(axes).flat, kpis, strict=True):
        k = table[table["kpi"] == kpi]
        pos, neg = np.zeros(len(names)), np.zeros(len(names))
        for part in parts:
            v = k[k["channel"] == part].set_index("scenario")["effect"].reindex(names).fillna(0)
            v = v.to_numpy(dtype=float)
            left = np.where(v >= 0, pos, neg)
            ax.barh(
                y,
                v,
                left=left,
                color=colour[part],
                hatch="//" if part == REMAINDER else None,
                label=part,
                height=0.6,
            )
            pos, neg = pos + np.maximum(v, 0), neg + np.minimum(v, 0)
        total = k[k["channel"] == "total"].set_index("scenario")["effect"].reindex(names)
        ax.plot(total.to_numpy(dtype=float), y, "o", color="black", label="full effect")
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, names, fontsize=8)
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.set_title(f"{label(kpi)}: effect by channel", fontsize=9)
    handles, labels = np.atleast_1d(axes).flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8)
    fig.suptitle("Each scenario's effect on the baseline, by the channel it goes through")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=90)
    plt.close(fig)
