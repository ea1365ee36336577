"""A sweep of sim-run on a running Ray cluster (a head and a second node that joined it, started
by `make test-cluster` with `ray start`), reached by its address: no Ray started by the test."""

from __future__ import annotations

import os
import time

from cluster_sweeps import SEEDS, assert_same_as_local, require_cluster, sim_run

require_cluster()


def test_a_sweep_runs_on_the_ray_cluster_by_address_and_gives_the_local_numbers(tmp_path):
    from ray.util.state import list_jobs, list_nodes, list_tasks

    address = os.environ["SIM_RAY_ADDRESS"]
    nodes = {n.node_id for n in list_nodes(address=address) if n.state == "ALIVE"}
    assert len(nodes) == 2, nodes  # the head and the node that joined it

    sweep = tmp_path / "ray"
    res = sim_run(
        sweep,
        "hydra/launcher=ray",
        f"hydra.launcher.ray.init.address={address}",
        # The launcher's default object store size is refused when joining a running cluster.
        "+hydra.launcher.ray.init.object_store_memory=null",
    )
    # ray.init joined the running cluster (it starts a local instance only without an address).
    connected = [line for line in res.stderr.splitlines() if "Connected to Ray cluster" in line]
    assert connected, res.stderr[-3000:]
    for line in res.stderr.splitlines():
        if "Connecting to existing Ray cluster at address" in line:
            print(line)  # shown by `make test-cluster` (pytest -rA)

    # The cluster recorded sim-run as a driver of its own, and the jobs as its tasks.
    drivers = [
        j for j in list_jobs(address=address) if f"hydra.sweep.dir={sweep}" in (j.entrypoint or "")
    ]
    assert len(drivers) == 1, drivers
    assert drivers[0].type.name == "DRIVER" and drivers[0].status.name == "SUCCEEDED"
    job_id = drivers[0].job_id
    # Task events reach the cluster's state store shortly after the tasks end.
    for _ in range(20):
        tasks = list_tasks(
            address=address, filters=[("job_id", "=", job_id), ("name", "=", "_run_job")]
        )
        if len(tasks) == len(SEEDS) and all(t.state == "FINISHED" for t in tasks):
            break
        time.sleep(0.5)
    assert [t.state for t in tasks] == ["FINISHED"] * len(SEEDS), tasks
    # One CPU per node and one CPU per job: the two jobs ran at once, one on each node.
    assert {t.node_id for t in tasks} == nodes
    for t in tasks:
        print(f"ray task {t.name} of job {job_id}: {t.state} on node {t.node_id}")

    assert_same_as_local(sweep)
