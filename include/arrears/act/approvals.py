"""Managers' approvals for the steps that need one (step 6: transfer to litigation; step 14: write-off).

An answer is recorded per (lease, step, period) with its author and time, whether it comes from the
Airflow UI (the human-in-the-loop task of the step's DAG) or from ``arrears approve``. Leases rejected
stay where they are (pre-litigation, or on the books); the answer is kept.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from collections.abc import Iterable

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite

from arrears.core.models import Approval


def recorded_answers(engine: Engine, step: int, period: str) -> dict[str, bool]:
    """lease_id → approved, for the answers already recorded for (step, period)."""
    with engine.connect() as conn:
        rows = conn.execute(select(Approval.lease_id, Approval.approved)
                            .where(Approval.step == step, Approval.period == period))
        return {lease_id: bool(approved) for lease_id, approved in rows}


def recorded_answers_full(engine: Engine, step: int, period: str) -> dict[str, dict]:
    """lease_id → {approved, author, decided_at, reason} for (step, period)."""
    with engine.connect() as conn:
        rows = conn.execute(select(Approval.lease_id, Approval.approved, Approval.author, Approval.decided_at,
                                   Approval.reason).where(Approval.step == step, Approval.period == period))
        return {r.lease_id: {"approved": bool(r.approved), "author": r.author, "decided_at": r.decided_at,
                             "reason": r.reason} for r in rows}


def record_answers(engine: Engine, step: int, period: str, approved: Iterable[str], rejected: Iterable[str],
                   author: str, reasons: dict[str, str] | None = None) -> int:
    """Record (or update) the answers; returns how many rows were written.

    ``reasons``: lease_id → the manager's reason (for a rejection, usually). For step 6 the answer is also
    written back to the lease's open transfer proposal (``transfer_proposals``: approved / rejected, by whom,
    when, why), so a rejected proposal does not stay ``proposed``.
    """
    reasons = {k: (v or "").strip()[:500] or None for k, v in (reasons or {}).items()}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [{"lease_id": lid, "step": step, "period": period, "approved": True, "author": author,
             "decided_at": now, "reason": reasons.get(lid)} for lid in approved]
    rows += [{"lease_id": lid, "step": step, "period": period, "approved": False, "author": author,
              "decided_at": now, "reason": reasons.get(lid)} for lid in rejected]
    if not rows:
        return 0
    with engine.begin() as conn:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(Approval.__table__).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=["lease_id", "step", "period"],
            set_={"approved": stmt.excluded.approved, "author": stmt.excluded.author,
                  "decided_at": stmt.excluded.decided_at,
                  # an answer re-recorded without a reason (the Airflow task confirming the page's answers)
                  # keeps the manager's reason
                  "reason": func.coalesce(stmt.excluded.reason, Approval.__table__.c.reason)},
        )
        conn.execute(stmt)
        if step == TRANSFER_STEP:
            _answer_proposals(conn, rows)
    return len(rows)


TRANSFER_STEP = 6
# The option of Airflow's own request form that rejects every lease (Airflow needs at least one option).
REJECT_ALL_OPTION = "Tout refuser"


def _answer_proposals(conn, rows: list[dict]) -> None:
    """Step 6: the answer on the lease's open proposal (status proposed/approved/rejected, not transferred)."""
    from sqlalchemy import update

    from arrears.core.models import TransferProposal

    for row in rows:
        values = {"status": "approved" if row["approved"] else "rejected", "decided_by": row["author"],
                  "decided_at": row["decided_at"]}
        if row["reason"] or row["approved"]:
            values["decision_reason"] = row["reason"]
        conn.execute(
            update(TransferProposal)
            .where(TransferProposal.lease_id == row["lease_id"],
                   TransferProposal.status.in_(("proposed", "approved", "rejected")),
                   TransferProposal.period < row["period"])
            .values(**values))


def approve_cli(step_key: str, as_of: dt.date, *, lease_ids: list[str], approve_all: bool, reject: bool,
                author: str | None, db_url: str | None, reason: str | None = None, after_answers=None) -> int:
    """``arrears approve STEP --as-of D (--all | LEASE_ID…) [--reject]``: what a manager answers in the UI.
    ``after_answers(decisions)`` writes what the answers let the step write (step 14's accounting list)."""
    from arrears.config.plan import load_plan
    from arrears.core.db import make_engine
    from arrears.decide.steps import decide_step

    step = load_plan().step(step_key)
    if not step.needs_approval:
        print(f"step {step.number} ({step.id}) does not need an approval", file=sys.stderr)
        return 2
    if not approve_all and not lease_ids:
        print("give --all or the lease ids to answer for", file=sys.stderr)
        return 2
    engine = make_engine(db_url)
    decisions = decide_step(engine, step.number, as_of)
    candidates = [d.lease_id for d in decisions if not d.figures.get("held_back")]
    chosen = candidates if approve_all else lease_ids
    unknown = sorted(set(chosen) - set(candidates))
    if unknown:
        print(f"not waiting for approval at step {step.number} on {as_of}: {', '.join(unknown)}",
              file=sys.stderr)
        return 2
    author = author or getpass.getuser()
    period = as_of.isoformat()[:7]
    reasons = dict.fromkeys(chosen, reason) if reason else None
    if reject:
        n = record_answers(engine, step.number, period, [], chosen, author, reasons)
    else:
        # Approving a subset rejects the others only when the manager says so (--reject on them).
        n = record_answers(engine, step.number, period, chosen, [], author, reasons)
    verb = "rejected" if reject else "approved"
    print(f"step {step.number} {step.id}, {period}: {n} lease(s) {verb} by {author}")
    answered = answer_waiting_requests(step.id, period, recorded_answers(engine, step.number, period), author)
    if answered:
        print(f"answered {answered} approval request(s) waiting in Airflow for {step.id}")
    for path in (after_answers(decisions) if after_answers else ()):
        print(f"written: {path}")
    return 0


def answer_waiting_requests(dag_id: str, period: str, answers: dict[str, bool], author: str) -> int:
    """Answer the step's human-in-the-loop requests waiting in Airflow for ``period``, as the UI would.

    The chosen options are the leases recorded as approved; the others count as rejected (as in the UI).
    Writes the answer into Airflow's metadata database the way the REST handler does, then resumes the task.
    Returns how many requests were answered (0 when Airflow is not set up or nothing waits).
    """
    import os

    if not os.environ.get("AIRFLOW_HOME") and not os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        return 0
    from arrears.orchestration import airflow_env

    airflow_env.ensure_metadata_db()  # `approve` may be the first Airflow command on this machine
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    answered = 0
    with create_session() as session:
        waiting = session.scalars(
            select(TaskInstance).where(TaskInstance.dag_id == dag_id, TaskInstance.task_id == "wait_for_manager",
                                       TaskInstance.state == TaskInstanceState.AWAITING_INPUT)
        ).all()
        for ti in waiting:
            from arrears.orchestration.business_date import conf_as_of, run_business_date

            run = ti.dag_run
            run_day = run_business_date({"as_of": conf_as_of(run.conf),
                                         "logical_date": run.logical_date or run.run_after})
            if run_day is None or run_day.strftime("%Y-%m") != period:
                continue
            detail = session.scalar(select(HITLDetail).where(HITLDetail.ti_id == ti.id))
            if detail is None or detail.response_received:
                continue
            answer_hitl(session, ti, detail, [o for o in detail.options or [] if answers.get(o)], author, author)
            answered += 1
    return answered


def answer_hitl(session, ti, detail, chosen: list[str], user_id: str, user_name: str) -> None:
    """Answer one waiting human-in-the-loop request the way Airflow's REST handler does, and resume the task.

    ``chosen``: the approved leases; none approved → the "reject all" option when the request offers it
    (Airflow wants at least one chosen option).
    """
    from airflow.models.trigger import handle_event_submit
    from airflow.sdk import timezone
    from airflow.sdk.execution_time.hitl import HITLUser
    from airflow.triggers.base import TriggerEvent
    from airflow.utils.state import TaskInstanceState


    if not chosen and REJECT_ALL_OPTION in (detail.options or []):
        chosen = [REJECT_ALL_OPTION]
    detail.responded_by = HITLUser(id=user_id, name=user_name)
    detail.responded_at = timezone.utcnow()
    detail.chosen_options = list(chosen)
    detail.params_input = {}
    session.add(detail)
    if ti.state in (TaskInstanceState.AWAITING_INPUT, TaskInstanceState.DEFERRED):
        handle_event_submit(TriggerEvent(detail.as_resume_event_payload()), task_instance=ti, session=session)
