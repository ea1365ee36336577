"""Validation: one small experiment per published figure (docs/TARGETS.md).

    runs.py      what one simulation run is (RunSpec), its execution; probes.py what it records
    checks/      the checks by section (envelope, employee, customer, chain), each declared
                 beside its judge with its published figure and the range a pass needs
    verdicts.py  pass / fail / direction-only / inconclusive, taken on the 95% intervals of
                 sim/stats.py (the statistics shared with the scenario comparisons)
    driver.py    `run_checks`: each distinct run once, over processes, then every judge
    report.py    docs/VALIDATION.md and the figures in docs/img/validation/

`sim-validate` (experiments/validate.py) is the thin command over `run_checks`.
"""

from sim.validation.checks import CHECKS, check_names
from sim.validation.driver import CheckResult, run_checks
from sim.validation.runs import FULL, QUICK, Size

__all__ = ["CHECKS", "FULL", "QUICK", "CheckResult", "Size", "check_names", "run_checks"]
