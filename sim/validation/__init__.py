"""Validation: one small experiment per published figure (../shared/reference/targets.md).

    runs.py    what one simulation run is (RunSpec), the probes that watch it, its execution
    stats.py   95% intervals and the pass / fail / direction-only verdicts
    checks.py  the checks: each names its published figure, the runs it needs and how it judges
    report.py  docs/VALIDATION.md and the figures in docs/img/validation/

`sim-validate` (experiments/validate.py) is the thin command over `run_checks`.
"""

from sim.validation.checks import CHECKS, CheckResult, check_names, run_checks
from sim.validation.runs import FULL, QUICK, Size

__all__ = ["CHECKS", "FULL", "QUICK", "CheckResult", "Size", "check_names", "run_checks"]
