"""One DAG per step of the monthly arrears plan (plan mensuel de l'impayé), generated from the plan file.

Each DAG is thin wiring around ``arrears.orchestration.pipeline``: select the cohort → decide → (manager approval for
steps 6 and 14) → reserve actions in the journal → render documents (mapped per batch of letters) →
assemble mailroom batches → write worklists → record actions → summary. Nothing here touches a database at
parse time; pandas and WeasyPrint are imported inside the tasks.
"""

from __future__ import annotations

import datetime as dt
import os

from airflow.sdk import Asset, Param, dag, get_current_context, task
from arrears.config.plan import load_plan
from arrears.core.settings import PORTFOLIO_ASSET, PROJECT_ROOT
from arrears.orchestration.alerts import step_failure_notifier
from arrears_timetable import PlanStepTimetable

PLAN = load_plan()
OUTPUT = PROJECT_ROOT / "output"
# Two retries, 2 minutes apart by default; the command line and tests shorten the delay.
RETRY_DELAY = dt.timedelta(seconds=int(os.environ.get("ARREARS_RETRY_DELAY_SECONDS", "120")))
PORTFOLIO = Asset(name=PORTFOLIO_ASSET[0], uri=PORTFOLIO_ASSET[1])


def _doc_md(step) -> str:
    from arrears.orchestration.dag_docs import step_doc_md

    return step_doc_md(step, when=PlanStepTimetable(step.schedule).description)


def display_name(step) -> str:
    """The name the DAG list shows, in plan order: ``01 — Gestion des soldes < 100 €``."""
    return f"{step.number:02d} — {step.title}"


def build_step_dag(step):
    # The real folders are output/<YYYY-MM>/<NN>_<id>/…: a URI is fixed when the DAG is parsed, so it names
    # them with the month as a pattern (YYYY-MM is the month of the run's date).
    folder = OUTPUT / "YYYY-MM" / f"{step.number:02d}_{step.id}"
    outlets_letters = Asset(name=f"arrears_{step.id}_letters", uri=f"file://{folder / 'letters'}")
    outlets_batches = Asset(name=f"arrears_{step.id}_mailroom", uri=f"file://{folder / 'mailroom'}")
    outlets_worklists = Asset(name=f"arrears_{step.id}_worklists", uri=f"file://{folder / 'worklists'}")
    tags = ["precontentieux", f"semaine-{step.week}" if step.week else "au-fil-de-l-eau", f"etape-{step.number:02d}"]

    @dag(
        dag_id=step.id,
        dag_display_name=display_name(step),
        description=f"Étape {step.number} — {step.title}",
        doc_md=_doc_md(step),
        schedule=PlanStepTimetable(step.schedule),
        start_date=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        catchup=False,
        max_active_runs=1,
        is_paused_upon_creation=True,  # a new step DAG sends nothing until an operator unpauses it
        tags=tags,
        on_failure_callback=step_failure_notifier(),
        # Task results stay out of the task logs (XCom carries ids and counts only).
        default_args={"retries": 2, "retry_delay": RETRY_DELAY, "owner": "recouvrement",
                      "show_return_value_in_logs": False},
        params={
            # A text field (no "format": the browser's date picker shows mm/dd/yyyy beside AAAA-MM-JJ).
            "as_of": Param(None, type=["null", "string"], pattern=r"^\d{4}-\d{2}-\d{2}$",
                           title="Date du traitement",
                           description=("Date du traitement au format AAAA-MM-JJ (ex. 2025-10-01). Le run est "
                                        "classé dans le mois de cette date, quelle que soit sa date logique. "
                                        "Vide : la date logique du run (heure de Paris).")),
            "dry_run": Param(False, type="boolean", title="Aperçu",
                             description="Aperçu : produire les documents dans output/preview sans rien enregistrer"),
        },
    )
    def step_dag():
        @task
        def run_spec() -> dict:
            from arrears.orchestration.pipeline import RunSpec, as_of_from_logical_date

            ctx = get_current_context()
            params = ctx["params"]
            as_of = params.get("as_of") or as_of_from_logical_date(ctx["logical_date"] or ctx["dag_run"].run_after)
            return RunSpec(step=step.number, step_id=step.id, as_of=str(as_of), run_id=ctx["run_id"],
                           dry_run=bool(params.get("dry_run")),
                           db_url=(ctx["dag_run"].conf or {}).get("db_url")).to_dict()

        @task(inlets=[PORTFOLIO])
        def select_cohort(spec: dict) -> dict:
            from arrears.orchestration import pipeline

            return pipeline.select_cohort(pipeline.RunSpec.from_dict(spec))

        @task
        def decide(spec: dict, cohort: dict) -> dict:
            from arrears.orchestration import pipeline

            return pipeline.decide(pipeline.RunSpec.from_dict(spec))

        @task(trigger_rule="none_failed")
        def reserve_actions(spec: dict, decided: dict, approved: list | None = None) -> dict:
            from arrears.orchestration import pipeline

            return pipeline.reserve_actions(pipeline.RunSpec.from_dict(spec), approved)

        @task
        def chunks(reservation: dict) -> list:
            return reservation["chunks"]

        @task(max_active_tis_per_dagrun=2, outlets=[outlets_letters])
        def render_documents(spec: dict, lease_ids: list) -> dict:
            from arrears.orchestration import pipeline

            return pipeline.render_documents(pipeline.RunSpec.from_dict(spec), lease_ids)

        @task(trigger_rule="none_failed", outlets=[outlets_batches])
        def assemble_batches(spec: dict, rendered) -> dict:
            from arrears.orchestration import pipeline

            return pipeline.assemble_batches(pipeline.RunSpec.from_dict(spec))

        @task(trigger_rule="none_failed", outlets=[outlets_worklists])
        def write_worklists(spec: dict, rendered) -> dict:
            from arrears.orchestration import pipeline

            return pipeline.write_worklists(pipeline.RunSpec.from_dict(spec))

        @task(trigger_rule="none_failed")
        def record_actions(spec: dict, batches: dict, worklists: dict) -> dict:
            from arrears.orchestration import pipeline

            return pipeline.record_actions(pipeline.RunSpec.from_dict(spec))

        @task(trigger_rule="none_failed")
        def summary(spec: dict, cohort: dict, batches: dict, worklists: dict, recorded: dict) -> dict:
            from arrears.orchestration import pipeline

            return pipeline.summarize(pipeline.RunSpec.from_dict(spec), {
                "cohort": cohort, "batches": batches, "worklists": worklists, "record": recorded})

        @task(task_id="resume", task_display_name="Résumé du traitement")
        def resume(spec: dict, summary: dict) -> str:
            """The run summary in French: this task's result in the UI (and the run's note when possible)."""
            from arrears.orchestration.summary_fr import run_resume

            ctx = get_current_context()
            request = None
            if step.needs_approval:
                request = ctx["ti"].xcom_pull(task_ids="approval_request", default=None)
            text = run_resume(spec, summary, request, title=step.title)
            _set_run_note(ctx, text)
            return text

        spec = run_spec()
        cohort = select_cohort(spec)
        decided = decide(spec, cohort)
        if step.needs_approval:
            approved = approval_gate(step, spec, decided)
            reservation = reserve_actions(spec, decided, approved)
        else:
            reservation = reserve_actions(spec, decided)
        rendered = render_documents.partial(spec=spec).expand(lease_ids=chunks(reservation))
        batches = assemble_batches(spec, rendered)
        worklists = write_worklists(spec, rendered)
        recorded = record_actions(spec, batches, worklists)
        resume(spec, summary(spec, cohort, batches, worklists, recorded))

    return step_dag()


def _manager_asked(request: dict) -> bool:
    """Whether the approval gate asks a manager (some leases wait and not every answer is recorded yet)."""
    return bool(request["lease_ids"]) and not request["answered"]


def _set_run_note(ctx, text: str) -> None:
    """Show the French summary as the run's note when the worker can reach Airflow's metadata database
    (embedded set-up); elsewhere the ``resume`` task's result shows it."""
    try:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            run = session.scalar(select(DagRun).where(DagRun.dag_id == ctx["dag"].dag_id,
                                                      DagRun.run_id == ctx["run_id"]))
            if run is not None:
                run.note = text
    except Exception as exc:  # noqa: BLE001 - a note is a nicety; the task's result carries the text
        import logging

        logging.getLogger(__name__).info("run note not set (%s); see the resume task's result", type(exc).__name__)


def approval_gate(step, spec, decided):
    """Ask a manager which leases to approve, unless every answer is already recorded (``arrears approve``).

    The question is Airflow's human-in-the-loop task (Browse → Required Actions): one option per lease,
    several may be chosen. The answers and their author are recorded in the ``approvals`` table.
    """
    from airflow.providers.standard.operators.hitl import HITLOperator

    @task
    def approval_request(spec: dict, decided: dict) -> dict:
        from arrears.documents.render import date_fr, month_fr
        from arrears.orchestration import pipeline

        request = pipeline.approval_request(pipeline.RunSpec.from_dict(spec))
        # The month the request is for, named in its subject and body (not the run's logical date).
        return {**request, "period": spec["as_of"][:7], "month_label": month_fr(spec["as_of"]),
                "as_of_label": date_fr(spec["as_of"])}

    @task.branch
    def need_manager(request: dict) -> str:
        return "wait_for_manager" if _manager_asked(request) else "collect_approvals"

    @task
    def options(request: dict) -> list:
        from arrears.orchestration.approval_view import REJECT_ALL_OPTION

        # Airflow wants at least one chosen option: "Tout refuser" answers "none of them".
        return [[*request["lease_ids"], REJECT_ALL_OPTION]]

    @task(trigger_rule="none_failed_min_one_success")
    def collect_approvals(spec: dict, request: dict) -> list:
        from arrears.orchestration import pipeline

        ctx = get_current_context()
        # Pull the manager's answer only when the question was asked: pulling a skipped task's XCom logs an
        # "[error] XCom not found" line in a successful run.
        answers = (ctx["ti"].xcom_pull(task_ids="wait_for_manager", map_indexes=0, default=None)
                   if _manager_asked(request) else None)
        return pipeline.collect_approvals(pipeline.RunSpec.from_dict(spec), request, answers)

    request = approval_request(spec, decided)
    from arrears.orchestration.dag_docs import approval_body_template

    wait = HITLOperator.partial(
        task_id="wait_for_manager",
        task_display_name="Décision du responsable",
        subject=(f"Étape {step.number} — {step.title} : dossiers à décider — "
                 "{{ ti.xcom_pull(task_ids='approval_request')['month_label'] }}"),
        body=approval_body_template(step),
        multiple=True,
        retries=3,
        retry_delay=dt.timedelta(seconds=10),
    ).expand(options=options(request))
    gate = need_manager(request)
    collected = collect_approvals(spec, request)
    gate >> [wait, collected]
    wait >> collected
    return collected


for _step in PLAN.steps:
    globals()[f"dag_{_step.id}"] = build_step_dag(_step)
