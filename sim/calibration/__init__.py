"""sim-calibrate: fit behaviour parameters to published figures, keeping the uncertainty left.

    statistics.py  the statistics a target can name: the KPI registry plus a few more, each
                   defined once as a `sim.kpis.Aggregation` (sim-validate calls the same ones)
    targets.py     target sets as data (configs/targets/*.yaml): load and check
    settings.py    the checked settings: free parameters, priors, designs
    fit.py         the loss, the trial loop (Optuna TPE, ask/tell over the process pool,
                   SQLite storage: resumable) and the ensemble
    report.py      ensemble.parquet, calibrated.yaml and fit.md with its figures
    synthetic.py   targets made by the model at a known vector (parameter recovery)

Importing this package is cheap (no Optuna): sim/validation imports `statistics`.
"""
