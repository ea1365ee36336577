"""sim-twin: a twin of an organisation from its own data, through the real CLI.

The example organisation (experiments/example_twin/, made by `python -m sim.twin.example`) is
SYNTHETIC: the model at a hidden parameter set, exported as the files a firm holds. Its
`hidden.yaml` keeps the hidden figures (the mean over 8 seeds at the hidden parameters) and their
sd between seeds: what one two-year history of an organisation of 26 people can tell.

Recovery (the main path, a small budget: two moment-fit rounds on 1 seed, their result as the
one trial, no backtest): the twin's figure (its ensemble's weighted mean) must lie within
SDS x the hidden figure's sd between seeds of the hidden figure. The tolerance is that spread,
not the fit's: the data are one history (seed 2026), and a twin fitted to it can be no closer to
the hidden expectation than that history is (at 26 people, work happiness differs by about 0.22
points between seeds and turnover by about 0.15 a year; hidden.yaml has the numbers).

Bad input: one line naming file, row, column, value and what is allowed; exit 2; nothing written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, run_cli

EXAMPLE = ROOT / "experiments" / "example_twin"
DATA = EXAMPLE / "data"
# Hidden figure -> the twin's target id.
RECOVERED = {
    "employee_turnover_annual": "turnover",
    "work_happiness_mean": "work_happiness",
    "service_level": "service_level",
    "customer_churn_annual": "churn",
}
SDS = 2.5  # tolerance: this many between-seed sds of the hidden figure
FAST = ["trials=1", "replications=1", "moment_rounds=2", "backtest=false", "workers=2"]


def twin(outdir: Path, *args: str, timeout: float = 600):
    return run_cli("sim-twin", *args, f"hydra.run.dir={outdir}", cwd=ROOT, timeout=timeout)


def copy_data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    return folder


def edit_csv(folder: Path, name: str, edit) -> None:
    path = folder / f"{name}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(frame)
    frame.to_csv(path, index=False)


# ---- the main path: recovery of the hidden figures ---------------------------------------------
@pytest.mark.slow
def test_twin_of_the_synthetic_example_recovers_the_hidden_figures(tmp_path):
    out = tmp_path / "out"
    done = twin(out, f"data={DATA}", "name=example_test", *FAST)
    assert done.returncode == 0, done.stderr[-2000:]
    hidden = yaml.safe_load((EXAMPLE / "hidden.yaml").read_text())
    assert hidden["synthetic"] is True
    ens = pd.read_parquet(out / "ensemble.parquet")
    w = ens["weight"] / ens["weight"].sum()
    for figure, tid in RECOVERED.items():
        twin_value = float((ens[f"sim.{tid}"] * w).sum())
        truth = hidden["figures"][figure]["mean"]
        tol = SDS * hidden["figures"][figure]["sd"]
        assert abs(twin_value - truth) <= tol, (figure, twin_value, truth, tol)
    # The presets run the twin from the run directory alone (Hydra's --config-dir).
    org = yaml.safe_load((out / "configs" / "org" / "example_test.yaml").read_text())
    assert org["org"]["name"] == "example_test"
    assert (out / "configs" / "journey" / "example_test.yaml").is_file()
    ran = run_cli(
        "sim-run",
        "--config-dir",
        str(out / "configs"),
        "org=example_test",
        "days=5",
        f"hydra.run.dir={tmp_path / 'run'}",
        cwd=ROOT,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert (tmp_path / "run" / "summary.json").is_file()
    # No output carries an id of the roster (E0001, ...).
    ids = set(pd.read_csv(DATA / "employees.csv")["employee_id"])
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".md", ".csv", ".yaml", ".json", ".log"):
            text = path.read_text()
            assert not any(i in text for i in ids), path
    text = (out / "twin.md").read_text()
    for heading in ("## Observed vs twin", "## Direct estimates", "could not identify"):
        assert heading in text


# ---- bad input ----------------------------------------------------------------------------------
def refused(tmp_path: Path, folder: Path, *needles: str) -> str:
    out = tmp_path / "out"
    done = twin(out, f"data={folder}", "name=bad", timeout=300)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr[-2000:]
    assert len(lines) == 1, lines
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert not out.exists()
    return lines[0]


def test_a_leave_date_before_its_hire_date_is_refused_naming_row_and_column(tmp_path):
    folder = copy_data(tmp_path)

    def edit(f):
        f.loc[4, "leave_date"] = "1999-01-01"

    edit_csv(folder, "employees", edit)
    refused(tmp_path, folder, "employees.csv row 5 column leave_date", "'1999-01-01'", "hire_date")


def test_a_date_that_does_not_parse_and_a_score_off_its_scale_are_refused(tmp_path):
    folder = copy_data(tmp_path)
    edit_csv(
        folder,
        "employees",
        lambda f: f.__setitem__("hire_date", f["hire_date"].where(f.index != 2, "2024-13-01")),
    )
    refused(tmp_path, folder, "employees.csv row 3 column hire_date", "'2024-13-01'", "YYYY-MM-DD")
    folder = copy_data(tmp_path / "b")
    edit_csv(
        folder,
        "engagement",
        lambda f: f.__setitem__("work_happiness", f["work_happiness"].where(f.index != 9, "11")),
    )
    refused(tmp_path / "b", folder, "engagement.csv row 10 column work_happiness", "11", "0-10")


def test_a_role_the_journey_does_not_know_is_refused_with_the_roles_allowed(tmp_path):
    folder = copy_data(tmp_path)
    edit_csv(
        folder,
        "employees",
        lambda f: f.__setitem__("role", f["role"].where(f.index != 0, "wizard")),
    )
    refused(tmp_path, folder, "employees.csv row 1 column role", "'wizard'", "service_agents")


def test_missing_file_or_column_and_an_empty_roster_are_refused(tmp_path):
    folder = copy_data(tmp_path)
    (folder / "engagement.csv").unlink()
    refused(tmp_path, folder, "engagement.csv", "missing")
    folder = copy_data(tmp_path / "b")
    edit_csv(folder, "engagement", lambda f: f.drop(columns=["enps"], inplace=True))
    refused(tmp_path / "b", folder, "engagement.csv column enps", "missing")
    folder = copy_data(tmp_path / "c")
    (folder / "employees.csv").write_text("employee_id,team,role,birth_year,hire_date,leave_date\n")
    refused(tmp_path / "c", folder, "employees.csv", "at least one data row")


def test_columns_with_names_emails_or_phone_numbers_are_refused_without_showing_them(tmp_path):
    folder = copy_data(tmp_path)
    edit_csv(
        folder,
        "employees",
        lambda f: f.insert(1, "email", [f"p{i}@firm.example" for i in range(len(f))]),
    )
    line = refused(tmp_path, folder, "employees.csv column email", "remove the column")
    assert "@" not in line
    folder = copy_data(tmp_path / "b")
    edit_csv(folder, "employees", lambda f: f.insert(1, "contact", ["+31 20 555 0199"] * len(f)))
    line = refused(tmp_path / "b", folder, "employees.csv column contact", "phone numbers")
    assert "555" not in line


def test_ids_are_pseudonymised_in_memory():
    from sim.twin import data

    org = data.read_organisation(DATA)
    found = data.read_folder(
        DATA,
        ["service_agents", "billing_office", "second_line", "it_support", "workforce_planning"],
        ["onboarding", "everyday", "billing", "complaint", "renewal"],
        org,
    )
    ids = found["employees"]["employee_id"]
    assert ids.dtype.kind == "i" and ids.is_unique
    raw = pd.read_csv(DATA / "employees.csv")["employee_id"]
    assert not set(map(str, ids)) & set(raw)
