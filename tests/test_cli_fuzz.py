"""Random command lines at sim-run (issue 17): valid keys with random values, mutated keys and
random `+` keys. Whatever comes in, the outcome is one of two: exit 0 with complete outputs, or
exit 2 with one line and nothing written. Examples are derandomised, so CI sees the same ones."""

from pathlib import Path

from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config import RANGES

TINY = ["days=3", "org.employees=5", "org.customers=300", "org.teams=1", "progress=false"]
# Keys that set the size of the work (a random value could make one example take minutes).
SIZE = {"org.employees", "org.customers", "org.teams", "days", "survey_interval_days", "seed"}
KEYS = sorted(k for k in RANGES if k not in SIZE)

values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32).map(lambda v: f"{v:g}"),
    st.integers(-5, 5).map(str),
    st.sampled_from(["abc", "''", "[1,2]", "null", "true", "1e400", "-0"]),
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    key = draw(st.sampled_from(KEYS))
    at = draw(st.integers(0, len(key) - 1))
    how = draw(st.sampled_from(["drop", "double", "swap"]))
    if how == "drop":
        key = key[:at] + key[at + 1 :]
    elif how == "double":
        key = key[:at] + key[at] + key[at:]
    else:
        key = key[:at] + "x" + key[at + 1 :]
    return key


overrides = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(KEYS), values).map(lambda kv: f"{kv[0]}={kv[1]}"),
        st.tuples(mutated(), st.just("0.5")).map(lambda kv: f"{kv[0]}={kv[1]}"),
        st.tuples(st.sampled_from(KEYS + ["x", "policy.y", "org.size"]), values).map(
            lambda kv: f"+{kv[0]}x={kv[1]}"
        ),
    ),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(extra=overrides)
def test_sim_run_either_completes_or_refuses_in_one_line(tmp_path: Path, extra: list[str]) -> None:
    out = tmp_path / f"run-{abs(hash(tuple(extra)))}"
    res = run_cli("sim-run", *TINY, *extra, f"hydra.run.dir={out}", timeout=300)
    if res.returncode == 0:
        assert (out / "summary.json").exists() and (out / "timeseries.parquet").exists(), extra
        return
    assert res.returncode == 2, (extra, res.stderr[-2000:])
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), (extra, lines)
    assert not out.exists(), (extra, sorted(p.name for p in out.rglob("*")))
