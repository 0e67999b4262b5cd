"""Safe starts in Airflow: every step DAG is paused when Airflow first sees it (starting the UI sends no
letter), and no task echoes its return value into its log (it would land in a 0644 log file on main).

On main before this change step DAGs were created unpaused and every task logged "Returned value was: …".
"""

from __future__ import annotations

import pytest
from arrears.config.plan import load_plan
from arrears.core.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT_ROOT / "dags"))


@pytest.mark.parametrize("step", [s.id for s in load_plan().steps])
def test_step_dag_paused_at_creation_and_quiet(dagbag, step):
    dag = dagbag.dags[step]
    assert dag.is_paused_upon_creation is True
    for task in dag.tasks:
        value = getattr(task, "show_return_value_in_logs", None)
        if value is None and hasattr(task, "partial_kwargs"):  # mapped tasks
            value = task.partial_kwargs.get("show_return_value_in_logs", False)
        if task.task_id == "wait_for_manager":
            continue  # the HITL operator returns the manager's answer (ids), not a PythonOperator
        assert value is False, task.task_id
