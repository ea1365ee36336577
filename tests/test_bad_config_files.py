"""A user's own config files, when wrong: one line naming the file or key, exit 2, nothing
written (issue 17: a journey that does not parse gave a 159-line traceback, an empty one ran
the single-stage day without a word, a word where a number goes named no value and no range)."""

from pathlib import Path

import pytest
from conftest import ROOT, run_cli

import sim.survey as survey

TINY = ["days=3", "org.employees=5", "org.customers=500", "progress=false"]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    journeys = tmp_path / "configs" / "journey"
    journeys.mkdir(parents=True)
    (journeys / "broken.yaml").write_text("stages: [a, b\nroles: {\n")
    (journeys / "empty.yaml").write_text("")
    good = (ROOT / "configs" / "journey" / "call_centre.yaml").read_text()
    (journeys / "worded.yaml").write_text(good.replace("headcount: 1.0", "headcount: lots", 1))
    return tmp_path / "configs"


@pytest.mark.parametrize(
    ("journey", "says"),
    [
        ("broken", "broken.yaml does not parse as YAML: expected ',' or ']'"),
        ("empty", "journey='empty' is not allowed: a journey file with stages and roles"),
        (
            "worded",
            "journey.roles.service_agents.headcount='lots' is not allowed: a number in [0.0, ",
        ),
    ],
)
def test_a_bad_journey_file_is_one_line_and_nothing_is_written(
    tmp_path: Path, config_dir: Path, journey: str, says: str
) -> None:
    out = tmp_path / "run"
    res = run_cli(
        "sim-run", "--config-dir", str(config_dir), f"journey={journey}", *TINY,
        f"hydra.run.dir={out}",
    )  # fmt: skip
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], lines
    assert not out.exists()


def test_a_word_where_a_number_goes_names_the_range(tmp_path: Path) -> None:
    res = run_cli("sim-run", "policy.training=abc", *TINY, f"hydra.run.dir={tmp_path / 'r'}")
    assert res.returncode == 2
    assert (
        res.stderr.strip() == "error: policy.training='abc' is not allowed: a number in [0.0, 3.0]"
    )


def test_survey_groups_below_five_are_suppressed_but_the_whole_is_kept() -> None:
    import numpy as np

    groups = np.array([0, 0, 0, 1, 1, 1, 1, 1])
    answers = np.array([10, 10, 0, 9, 9, 9, 9, 9])
    rows = survey._rows(1, "team", ["a", "b"], groups, answers, answers.astype(float), "employees")
    small, big = rows
    assert small["suppressed"] and np.isnan(small["nps"]) and small["n"] == 3
    assert not big["suppressed"] and big["nps"] == 100.0
    scores = answers[:3].astype(float)
    whole = survey._rows(1, "all", ["all"], np.zeros(3, int), answers[:3], scores, "customers")[0]
    assert not whole["suppressed"] and whole["nps"] == pytest.approx(100 * (2 / 3 - 1 / 3))


@pytest.mark.parametrize(
    ("command", "typo", "says"),
    [
        ("sim-run", "+policy.script_strictnes=0.3", "did you mean policy.script_strictness?"),
        ("sim-run", "+journey.roles.service_agents.headcont=2", "did you mean journey.roles"),
        ("sim-compare", "+policy.stafing_level=0.9", "did you mean policy.staffing_level?"),
    ],
)
def test_a_plus_typo_is_refused_with_a_did_you_mean(
    tmp_path: Path, command: str, typo: str, says: str
) -> None:
    out = tmp_path / "out"
    res = run_cli(command, *TINY[:3], "days=30", typo, f"hydra.run.dir={out}", cwd=ROOT)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], lines
    assert not out.exists()


def test_an_undefined_kpi_is_null_in_summary_json_and_nothing_is_warned(tmp_path: Path) -> None:
    import json

    out = tmp_path / "run"
    one = ["days=1", "org.employees=1", "org.customers=1", "org.teams=1", "progress=false"]
    res = run_cli("sim-run", *one, f"hydra.run.dir={out}")
    assert res.returncode == 0, res.stderr
    text = (out / "summary.json").read_text()
    assert "NaN" not in text
    summary = json.loads(text)  # strict JSON
    assert summary["first_contact_resolution"] is None  # one customer, no contact in a day
    assert res.stderr.strip() == ""
