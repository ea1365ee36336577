"""A sweep of sim-run through `sbatch` on a real (single-node) SLURM cluster, run by
`make test-cluster`, which starts munged, slurmctld and slurmd and sets SLURM_CONF."""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path

from cluster_sweeps import SEEDS, assert_same_as_local, cluster_dir, require_cluster, sim_run

require_cluster()


def test_a_sweep_goes_through_sbatch_and_gives_the_local_numbers(tmp_path):
    sweep = tmp_path / "slurm"
    res = sim_run(
        sweep,
        "hydra/launcher=submitit_slurm",
        "hydra.launcher.partition=sim",
        "hydra.launcher.timeout_min=5",
        "hydra.launcher.cpus_per_task=1",
        "hydra.launcher.mem_gb=1",
    )
    # Shown by `make test-cluster` (pytest -rA), as are the jobs' environments below.
    print(next(line for line in res.stdout.splitlines() if "Submitit 'slurm' sweep" in line))
    # No slurmdbd here, so no sacct: submitit says so and waits on the jobs' result files.
    sacct = [line for line in res.stderr.splitlines() if "sacct" in line]
    if sacct:
        print(f"{sacct[0]} ({len(sacct)} such warnings)")
    # submitit keeps one folder per SLURM job: <array job id>_<task>, as sbatch numbered them.
    folders = sorted(
        p.name for p in (sweep / ".submitit").iterdir() if re.fullmatch(r"\d+_\d+", p.name)
    )
    assert len(folders) == len(SEEDS), folders
    array_ids = {f.split("_")[0] for f in folders}
    assert len(array_ids) == 1, folders  # one sbatch call: a job array
    array_id = array_ids.pop()
    assert sorted(int(f.split("_")[1]) for f in folders) == list(range(len(SEEDS)))

    slurm = Path(os.environ["SLURM_CONF"]).parent
    assert slurm.parent == cluster_dir()
    # slurmctld received the batch submission ...
    submits = re.findall(
        r"_slurm_rpc_submit_batch_job: JobId=(\d+)", (slurm / "slurmctld.log").read_text()
    )
    assert array_id in submits
    # ... and recorded each array task as a completed job of partition `sim` on this node. (sim-run
    # returns when the jobs' results are written; SLURM records a job once its script has ended.)
    jobcomp = slurm / "jobcomp.log"
    for _ in range(60):
        lines = jobcomp.read_text().splitlines() if jobcomp.exists() else []
        done = [line for line in lines if f"ArrayJobId={array_id} " in line]
        if len(done) == len(SEEDS):
            break
        time.sleep(0.5)
    assert len(done) == len(SEEDS), done
    node = socket.gethostname().split(".")[0]
    for line in done:
        assert "JobState=COMPLETED" in line and "Partition=sim" in line, line
        assert f"NodeList={node} " in line, line
    # Each job ran in the SLURM environment (submitit's log of the job, written on the node).
    for folder in folders:
        log = next((sweep / ".submitit" / folder).glob("*_log.out")).read_text()
        assert f"job_id={folder}" in log, log[:500]
        print(next(line for line in log.splitlines() if "JobEnvironment" in line))

    assert_same_as_local(sweep)
