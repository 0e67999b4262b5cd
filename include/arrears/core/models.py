"""The data contract of DATA.md as SQLAlchemy 2 models, plus the pipeline's own journal tables.

Input tables (filled by the CSV importer or from the landlord's database) keep the names and columns of
DATA.md. Money is integer cents, dates are ``date``, identifiers are strings (leading zeros matter).

Pipeline tables (``journal``, ``tasks``, ``documents``, ``registered_*``, ``step_runs``,
``transfer_proposals``) record what the plan steps did; they make every run idempotent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Id = String(64)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Enumerations of DATA.md (validated by the importer).
STAFF_ROLES = ("recovery_officer", "customer_officer", "social_counsellor", "litigation_officer", "manager")
STAGES = ("precontentieux", "contentieux")
PAYMENT_METHODS = ("direct_debit", "transfer", "cheque", "cash", "card", "other")
SLS_STATUSES = ("none", "answered", "sanction")
LEDGER_KINDS = (
    "rent", "charges", "benefit", "payment", "direct_debit", "direct_debit_reject", "fee", "sls",
    "adjustment", "write_off", "refund",
)
PLAN_KINDS = ("amicable", "overindebtedness", "moratorium", "court")
PLAN_STATUSES = ("active", "completed", "broken", "closed", "erased")
ACTION_KINDS = (
    "phone_call", "letter", "formal_notice", "convocation", "appointment", "home_visit", "sms", "email",
    "social_referral", "fsl_request", "caf_report", "ccapex_report", "plan_agreed", "mandate_cancelled",
    "file_closed", "transfer_litigation", "write_off", "refund", "note",
)
SUPPORT_DOMAINS = (
    "budget", "access_to_rights", "housing_pathway", "neighbourhood", "health", "ageing", "other",
)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


# --------------------------------------------------------------------------------------------------
# Input tables (DATA.md)
# --------------------------------------------------------------------------------------------------


class Agency(Base):
    __tablename__ = "agencies"
    agency_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))


class Staff(Base):
    __tablename__ = "staff"
    staff_id: Mapped[str] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.agency_id"))
    role: Mapped[str] = mapped_column(String(40))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))


class Lease(Base):
    __tablename__ = "leases"
    lease_id: Mapped[str] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.agency_id"), index=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("staff.staff_id"))
    counsellor_id: Mapped[str | None] = mapped_column(ForeignKey("staff.staff_id"))
    start_on: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(20))
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    address_line3: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(100))
    rent_cents: Mapped[int] = mapped_column(BigInteger)
    charges_cents: Mapped[int] = mapped_column(BigInteger)
    benefit_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    benefit_to_landlord: Mapped[bool] = mapped_column(Boolean, default=False)
    payment_method: Mapped[str] = mapped_column(String(20))
    mandate_active: Mapped[bool] = mapped_column(Boolean, default=False)
    income_cents: Mapped[int | None] = mapped_column(BigInteger)
    sls_status: Mapped[str] = mapped_column(String(20), default="none")
    forwarding_address_line1: Mapped[str | None] = mapped_column(String(200))
    forwarding_address_line2: Mapped[str | None] = mapped_column(String(200))
    forwarding_postcode: Mapped[str | None] = mapped_column(String(20))
    forwarding_city: Mapped[str | None] = mapped_column(String(100))
    forwarding_country: Mapped[str | None] = mapped_column(String(100))


class Tenant(Base):
    __tablename__ = "tenants"
    tenant_id: Mapped[str] = mapped_column(Id, primary_key=True)
    lease_id: Mapped[str] = mapped_column(ForeignKey("leases.lease_id"), index=True)
    is_holder: Mapped[bool] = mapped_column(Boolean)
    civility: Mapped[str | None] = mapped_column(String(20))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    phone_mobile: Mapped[str | None] = mapped_column(String(40))
    phone_home: Mapped[str | None] = mapped_column(String(40))
    phone_work: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    is_deceased: Mapped[bool] = mapped_column(Boolean, default=False)


class LedgerEntry(Base):
    __tablename__ = "ledger"
    __table_args__ = (Index("ix_ledger_lease_posted", "lease_id", "posted_on"),)
    entry_id: Mapped[str] = mapped_column(Id, primary_key=True)
    lease_id: Mapped[str] = mapped_column(ForeignKey("leases.lease_id"))
    posted_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(30))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    label: Mapped[str | None] = mapped_column(String(200))


class Plan(Base):
    __tablename__ = "plans"
    plan_id: Mapped[str] = mapped_column(Id, primary_key=True)
    lease_id: Mapped[str] = mapped_column(ForeignKey("leases.lease_id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    agreed_on: Mapped[dt.date] = mapped_column(Date)
    debt_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)


class PlanInstallment(Base):
    __tablename__ = "plan_installments"
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.plan_id"), primary_key=True)
    due_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)


class DdReject(Base):
    __tablename__ = "dd_rejects"
    reject_id: Mapped[str] = mapped_column(Id, primary_key=True)
    lease_id: Mapped[str] = mapped_column(ForeignKey("leases.lease_id"), index=True)
    rejected_on: Mapped[dt.date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    reason_code: Mapped[str] = mapped_column(String(10))


class Action(Base):
    """Actions on a file: imported from the landlord's system, or appended by a plan step.

    Pipeline actions carry the ``step`` and ``period`` (``YYYY-MM``) that produced them; imported actions
    carry neither. One action of a kind per lease, step and period.
    """

    __tablename__ = "actions"
    __table_args__ = (
        Index("ix_actions_lease_done", "lease_id", "done_on"),
        UniqueConstraint("lease_id", "step", "period", "kind", name="uq_actions_lease_step_period_kind"),
    )
    action_id: Mapped[str] = mapped_column(Id, primary_key=True)
    lease_id: Mapped[str] = mapped_column(ForeignKey("leases.lease_id"))
    done_on: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str | None] = mapped_column(String(30))
    staff_id: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    step: Mapped[int | None] = mapped_column(Integer)
    period: Mapped[str | None] = mapped_column(String(7))
    document_id: Mapped[str | None] = mapped_column(String(80))


class SocialSupport(Base):
    __tablename__ = "social_supports"
    support_id: Mapped[str] = mapped_column(Id, primary_key=True)
    lease_id: Mapped[str] = mapped_column(ForeignKey("leases.lease_id"), index=True)
    counsellor_id: Mapped[str] = mapped_column(String(64))
    supported_on: Mapped[dt.date] = mapped_column(Date)
    domain: Mapped[str] = mapped_column(String(30))
    is_reinforced: Mapped[bool] = mapped_column(Boolean, default=False)
    is_qualified: Mapped[bool] = mapped_column(Boolean, default=False)


# --------------------------------------------------------------------------------------------------
# Pipeline tables: the action journal and what hangs off it
# --------------------------------------------------------------------------------------------------


class JournalEntry(Base):
    """The action journal: one row per (lease, step, period) — the truth that makes runs idempotent.

    ``status`` moves ``reserved`` → ``rendered`` → ``recorded``. A re-run skips recorded rows and finishes
    the others; the unique key stops two concurrent runs from both taking the same lease.
    """

    __tablename__ = "journal"
    __table_args__ = (UniqueConstraint("lease_id", "step", "period", name="uq_journal_lease_step_period"),)
    journal_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lease_id: Mapped[str] = mapped_column(String(64))
    step: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))
    as_of: Mapped[dt.date] = mapped_column(Date)
    run_id: Mapped[str | None] = mapped_column(String(250))
    status: Mapped[str] = mapped_column(String(20), default="reserved")
    decision: Mapped[dict[str, Any]] = mapped_column(JSON)
    document_id: Mapped[str | None] = mapped_column(String(80))
    registered_number: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Task(Base):
    """An officer's task produced by a step (call, convocation follow-up, CAF report, refund, …)."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("lease_id", "step", "period", "kind", name="uq_tasks_lease_step_period_kind"),)
    task_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lease_id: Mapped[str] = mapped_column(String(64))
    step: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(40))
    staff_id: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=2)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(300))
    checklist: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="open")


class RegisteredRange(Base):
    """A range of registered-mail labels (recommandés) the landlord holds: numbers ``first``..``last``."""

    __tablename__ = "registered_ranges"
    range_id: Mapped[str] = mapped_column(Id, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(4))
    first_serial: Mapped[int] = mapped_column(BigInteger)
    last_serial: Mapped[int] = mapped_column(BigInteger)
    level: Mapped[str] = mapped_column(String(2), default="R1")
    next_serial: Mapped[int] = mapped_column(BigInteger)


class RegisteredNumber(Base):
    """A registered number, allocated once, to one letter (lease, step, period)."""

    __tablename__ = "registered_numbers"
    __table_args__ = (UniqueConstraint("lease_id", "step", "period", name="uq_registered_numbers_lease_step_period"),)
    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    range_id: Mapped[str] = mapped_column(ForeignKey("registered_ranges.range_id"))
    lease_id: Mapped[str] = mapped_column(String(64))
    step: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))
    document_id: Mapped[str | None] = mapped_column(String(80))
    allocated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Document(Base):
    """A generated document (letter, formal notice, transfer file, write-off form) and where it lies."""

    __tablename__ = "documents"
    document_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    lease_id: Mapped[str] = mapped_column(String(64), index=True)
    step: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))
    doc_type: Mapped[str] = mapped_column(String(40))
    variant: Mapped[str | None] = mapped_column(String(40))
    letter_class: Mapped[str | None] = mapped_column(String(20))
    registered_number: Mapped[str | None] = mapped_column(String(20))
    batch_id: Mapped[str | None] = mapped_column(String(80))
    path: Mapped[str | None] = mapped_column(String(500))
    pages: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class StepRun(Base):
    """One run of a plan step for a period: its state and its summary (counts, amounts, failures)."""

    __tablename__ = "step_runs"
    __table_args__ = (UniqueConstraint("step", "period", "as_of", "run_id", name="uq_step_runs_key"),)
    step_run_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    step: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))
    as_of: Mapped[dt.date] = mapped_column(Date)
    run_id: Mapped[str] = mapped_column(String(250))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="running")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class TransferProposal(Base):
    """A step-11 proposal to hand a file to litigation, and the manager's answer at step 6."""

    __tablename__ = "transfer_proposals"
    __table_args__ = (UniqueConstraint("lease_id", "period", name="uq_transfer_proposals_lease_period"),)
    proposal_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lease_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))  # the period of step 11's run that proposed it
    proposed_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="proposed")  # proposed/approved/rejected/transferred
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str | None] = mapped_column(String(500))  # the manager's reason for a rejection


class Approval(Base):
    """A manager's answer to a step that needs approval (step 6 transfers, step 14 write-offs)."""

    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("lease_id", "step", "period", name="uq_approvals_lease_step_period"),)
    approval_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lease_id: Mapped[str] = mapped_column(String(64))
    step: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))
    approved: Mapped[bool] = mapped_column(Boolean)
    author: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(String(500))  # why the manager rejected it (optional)


class LeasePosition(Base):
    """The derived figures of DATA.md for one lease at one date D (``as_of``), computed in SQL.

    Written by ``arrears.select.positions.store_positions``; the cohort queries of ``include/sql/cohorts/`` read it.
    Booleans are never NULL; a figure that is undefined at D (no debt, no payment yet, no income) is NULL.
    """

    __tablename__ = "lease_positions"
    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    lease_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_id: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(20))
    is_in_place: Mapped[bool] = mapped_column(Boolean)
    is_departed: Mapped[bool] = mapped_column(Boolean)
    balance_cents: Mapped[int] = mapped_column(BigInteger)
    monthly_due_cents: Mapped[int] = mapped_column(BigInteger)
    months_in_arrears: Mapped[float] = mapped_column(Numeric(12, 2))
    debt_since: Mapped[dt.date | None] = mapped_column(Date)
    debt_age_days: Mapped[int | None] = mapped_column(Integer)
    arrears_start: Mapped[dt.date | None] = mapped_column(Date)
    arrears_age_days: Mapped[int | None] = mapped_column(Integer)
    last_payment_on: Mapped[dt.date | None] = mapped_column(Date)
    last_payment_cents: Mapped[int | None] = mapped_column(BigInteger)
    last_action_on: Mapped[dt.date | None] = mapped_column(Date)
    last_action_kind: Mapped[str | None] = mapped_column(String(30))
    balance_prev_month_end_cents: Mapped[int] = mapped_column(BigInteger)
    episodes_started_12m: Mapped[int] = mapped_column(Integer)
    episodes_closed_12m: Mapped[int] = mapped_column(Integer)
    months_paid_late_6m: Mapped[int] = mapped_column(Integer)
    active_plan_id: Mapped[str | None] = mapped_column(String(64))
    active_plan_kind: Mapped[str | None] = mapped_column(String(30))
    plan_respected: Mapped[bool | None] = mapped_column(Boolean)
    is_protected: Mapped[bool] = mapped_column(Boolean)
    is_debt_erased: Mapped[bool] = mapped_column(Boolean)
    effort_rate: Mapped[float | None] = mapped_column(Numeric(8, 4))
    has_forwarding_address: Mapped[bool] = mapped_column(Boolean)


INPUT_TABLES = (
    Agency, Staff, Lease, Tenant, LedgerEntry, Plan, PlanInstallment, DdReject, Action, SocialSupport,
)


class Appointment(Base):
    """A convocation's appointment slot (PLAN.md "Letters", revision 5): one per (lease, step, period), and
    never two tenants in one officer's slot. ``starts_at``/``ends_at`` are local (Europe/Paris) wall times."""

    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("lease_id", "step", "period", name="uq_appointments_lease_step_period"),
        UniqueConstraint("staff_id", "starts_at", name="uq_appointments_staff_starts_at"),
    )
    appointment_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    lease_id: Mapped[str] = mapped_column(String(64))
    step: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))
    staff_id: Mapped[str] = mapped_column(String(64))
    agency_id: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime)
    document_id: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class RunLock(Base):
    """One run per (step, period) at a time: the row a run holds from before its first task to its end.

    A second run finds the row and stops with the holder's run id and start time; a row whose process is
    gone (same host, pid no longer alive: a crash or a kill) is taken over by the next run.
    """

    __tablename__ = "run_locks"
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(250))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)


class ImportRun(Base):
    """One successful import of the landlord's exports: when, and how many rows (counts only)."""

    __tablename__ = "import_runs"
    import_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC
    files: Mapped[int] = mapped_column(Integer, default=0)
    loaded: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)


class PositionsStamp(Base):
    """Which dates have their ``lease_positions`` computed, and from what: the positions cache.

    One row per date D, written in the transaction that stores D's positions
    (``arrears.select.positions.ensure_positions``). The positions of D are fresh while the portfolio's
    latest import (``import_runs``), the plan settings they depend on and the number of leases are those
    recorded here; an import makes every earlier stamp stale, and D is then computed again on first use.
    """

    __tablename__ = "positions_stamps"
    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    import_id: Mapped[int | None] = mapped_column(Integer)  # latest import_runs.import_id at computation
    settings: Mapped[str] = mapped_column(String(200))      # the plan settings the figures depend on
    leases: Mapped[int] = mapped_column(Integer)            # rows written (one per lease)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC
