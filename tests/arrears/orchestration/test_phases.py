"""The phase timing of a run (``arrears.orchestration.phases``) and the demo's parse-once of the DAG folder."""

from __future__ import annotations

import json
import stat

import pytest
from arrears.orchestration import phases
from arrears.orchestration.pipeline import RunSpec


@pytest.fixture()
def spec(tmp_path, monkeypatch):
    monkeypatch.setenv("ARREARS_VAR_DIR", str(tmp_path / "var"))
    return RunSpec(step=3, step_id="large_balances", as_of="2025-09-05", run_id="manual__x")


def test_timed_parts_are_summed_per_phase_in_pipeline_order(spec):
    with phases.timed(spec, "rendering", "L-1"):
        pass
    with phases.timed(spec, "rendering", "L-2"):
        pass
    with phases.timed(spec, "cohorts"):
        pass
    files = sorted(p.name for p in (spec.work_dir / "phases").iterdir())
    assert files == ["cohorts.json", "rendering_L-1.json", "rendering_L-2.json"]
    mode = stat.S_IMODE((spec.work_dir / "phases" / "cohorts.json").stat().st_mode)
    assert mode == 0o600
    # Sums what the files say (written here by hand so that the sum is known).
    for name, seconds in (("rendering_L-1", 1.25), ("rendering_L-2", 2.5), ("cohorts", 0.5)):
        (spec.work_dir / "phases" / f"{name}.json").write_text(json.dumps(
            {"phase": name.split("_")[0], "seconds": seconds, "cpu": 0}))
    assert phases.read(spec.work_dir) == {"cohorts": 0.5, "rendering": 3.75}


def test_a_failing_task_still_leaves_its_time(spec):
    with pytest.raises(ZeroDivisionError), phases.timed(spec, "decisions"):
        raise ZeroDivisionError
    assert "decisions" in phases.read(spec.work_dir)


def test_timed_task_names_a_rendering_part_after_its_first_lease(spec):
    @phases.timed_task("rendering", per_chunk=True)
    def render(run_spec, lease_ids):
        return len(lease_ids)

    @phases.timed_task("reserve")
    def reserve(run_spec, approved=None):
        return approved

    assert render(spec, ["L-000044", "L-000045"]) == 2
    assert reserve(spec, ["L-9"]) == ["L-9"]
    assert sorted(p.name for p in (spec.work_dir / "phases").iterdir()) == ["rendering_L-000044.json",
                                                                              "reserve.json"]


def test_airflow_overhead_is_the_wall_time_the_phases_leave_and_the_table_sums_the_month():
    first = phases.run_record("2025-09-01", 1, 10.0, {"cohorts": 2.0, "rendering": 5.0})
    second = phases.run_record("2025-09-02", 3, 4.0, {"cohorts": 1.0})
    assert first["phases"]["airflow"] == 3.0
    assert second["phases"]["airflow"] == 3.0
    table = phases.format_table([first, second]).splitlines()
    assert table[0].split() == ["run", "wall", "airflow", "cohorts", "rendering"]
    month = table[3].split()
    assert month == ["month", "14.0", "6.0", "3.0", "5.0"]
    assert table[4].split()[2:] == ["43%", "21%", "36%"]


def test_the_dag_folder_is_parsed_and_written_once_per_process(monkeypatch):
    pytest.importorskip("airflow")
    import airflow.dag_processing.dagbag as dagbag_module
    from arrears.orchestration import runner

    parsed, synced = [], []

    class FakeBag:
        def __init__(self, *args, **kwargs):
            self.dags = {"a": object()}
            parsed.append(kwargs["dag_folder"])

    def fake_sync(bag, bundle_name, bundle_version, **kwargs):
        synced.append((bundle_name, bundle_version))

    monkeypatch.setattr(dagbag_module, "BundleDagBag", FakeBag)
    monkeypatch.setattr(dagbag_module, "sync_bag_to_db", fake_sync)
    monkeypatch.setattr(runner, "_PARSED", {})
    in_db = [True]
    monkeypatch.setattr(runner, "_still_in_db", lambda bag, name: in_db[0])
    for _ in range(3):
        with runner._parse_once():
            bag = dagbag_module.BundleDagBag(dag_folder="/dags", bundle_path="/dags", bundle_name="dags-folder")
            dagbag_module.sync_bag_to_db(bag, "dags-folder", None)
    assert parsed == ["/dags"]
    assert synced == [("dags-folder", None)]
    in_db[0] = False  # the metadata database was reset meanwhile: written again
    with runner._parse_once():
        dagbag_module.sync_bag_to_db(bag, "dags-folder", None)
    assert synced == [("dags-folder", None)] * 2
    # Outside our dag.test call, Airflow's own functions are back.
    assert dagbag_module.BundleDagBag is FakeBag and dagbag_module.sync_bag_to_db is fake_sync


def test_dag_test_runs_render_larger_chunks_unless_told(monkeypatch):
    from arrears.orchestration import pipeline, runner

    monkeypatch.delenv("ARREARS_RENDER_CHUNK", raising=False)
    ids = [f"L-{i:06d}" for i in range(1000)]
    assert [len(c) for c in pipeline._chunks(ids)] == [100] * 10
    with runner._render_chunk_for_dag_test():
        assert [len(c) for c in pipeline._chunks(ids)] == [400, 400, 200]
    assert len(pipeline._chunks(ids)) == 10  # only for the dag.test call
    monkeypatch.setenv("ARREARS_RENDER_CHUNK", "7")
    with runner._render_chunk_for_dag_test():
        assert len(pipeline._chunks(ids)) == 143
