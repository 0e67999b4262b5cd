"""Alerts for the operations team, sent by e-mail through Airflow's notifier mechanism (``SmtpNotifier``).

- :func:`step_failure_notifier` — a notifier to use as a step DAG's (or task's) ``on_failure_callback``;
- :func:`check_cohort_size` — alert when a step's cohort is more than ``factor`` times last month's (a
  broken import often shows this way); call it from the step's ``select_cohort``;
- :func:`late_steps` / :func:`watch_late_steps` — steps whose planned date (window end for step 6) has
  passed without a successful run; ``dags/arrears_watchdog.py`` runs it daily.

The SMTP connection is ``smtp_default`` unless ``ARREARS_SMTP_CONN_ID`` names another; recipients come from
``ARREARS_ALERTS_TO`` (comma-separated), else the connection's extra ``alerts_to``, else its ``from_email``.
Messages are in French and carry no tenant data: step, dates, counts, run ids — never a name, an address
or an exception message (which may quote one; only the exception's type is given).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from arrears.core.fmt import date_fr, month_fr

log = logging.getLogger(__name__)

DEFAULT_CONN_ID = "smtp_default"
DEFAULT_FACTOR = 2.0
DEFAULT_MIN_SIZE = 20
SUBJECT_PREFIX = "[Plan impayés]"

__all__ = [
    "Alert",
    "AlertConfigError",
    "check_cohort_size",
    "cohort_size_alert",
    "late_steps",
    "late_steps_alert",
    "send_alert",
    "step_failure_notifier",
    "watch_late_steps",
]


class AlertConfigError(RuntimeError):
    """No recipient is configured for the alerts."""


@dataclass(frozen=True)
class Alert:
    """One e-mail: a subject and a plain-text body (paragraphs separated by blank lines)."""

    kind: str
    subject: str
    body: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def html(self) -> str:
        paragraphs = [p for p in self.body.split("\n\n") if p.strip()]
        return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


# --------------------------------------------------------------------------------------------------
# Sending
# --------------------------------------------------------------------------------------------------


def default_smtp_conn_id() -> str:
    return os.environ.get("ARREARS_SMTP_CONN_ID") or DEFAULT_CONN_ID


def alert_recipients(conn_id: str | None = None) -> list[str]:
    """Who receives the alerts (see the module's docstring)."""
    env = os.environ.get("ARREARS_ALERTS_TO", "")
    found = [a.strip() for a in env.replace(";", ",").split(",") if a.strip()]
    if found:
        return found
    try:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(conn_id or default_smtp_conn_id())
        extra = conn.extra_dejson or {}
    except Exception:  # noqa: BLE001 - no connection: say so below
        extra = {}
    value = extra.get("alerts_to") or extra.get("from_email") or ""
    found = [a.strip() for a in (value if isinstance(value, list) else str(value).split(",")) if a.strip()]
    if not found:
        raise AlertConfigError("no recipient for the alerts: set ARREARS_ALERTS_TO or the SMTP connection's "
                               "extra 'alerts_to'")
    return found


def _notifier(alert: Alert | None, to: str | Iterable[str] | None, conn_id: str | None, cls=None):
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    conn_id = conn_id or default_smtp_conn_id()
    cls = cls or SmtpNotifier
    if to is None:
        to = alert_recipients(conn_id)
    elif not isinstance(to, str | _LazyRecipients):
        to = list(to)
    return cls(
        to=to,
        from_email=os.environ.get("ARREARS_ALERTS_FROM") or None,   # None: the connection's from_email
        subject=alert.subject if alert else None,
        html_content=alert.html if alert else None,
        smtp_conn_id=conn_id,
    )


def send_alert(alert: Alert, *, to: str | Iterable[str] | None = None, smtp_conn_id: str | None = None,
               context: dict | None = None) -> None:
    """Send ``alert`` with Airflow's ``SmtpNotifier`` (texts are sent as they are, not as Jinja templates)."""
    notifier = _notifier(alert, to, smtp_conn_id)
    notifier.notify(context or {})
    log.info("alert sent: %s", alert.kind)


def _step_of(key: int | str, plan=None):
    from arrears.config.plan import PlanError, load_plan

    plan = plan or load_plan()
    try:
        return plan.step(key)
    except PlanError:
        return None


# --------------------------------------------------------------------------------------------------
# (a) A step's run failed
# --------------------------------------------------------------------------------------------------


def _ui_base_url() -> str:
    try:
        from airflow.configuration import conf

        return (conf.get("api", "base_url", fallback="") or "").rstrip("/")
    except Exception:  # noqa: BLE001
        return ""


def failure_alert(context: dict[str, Any]) -> Alert:
    """The alert for a failed run (or task) of a step, from Airflow's callback context."""
    from arrears.orchestration.month_view import run_url

    dag = context.get("dag")
    dag_run = context.get("dag_run")
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(dag, "dag_id", None) or getattr(dag_run, "dag_id", None) or getattr(ti, "dag_id", None) or "?"
    run_id = getattr(dag_run, "run_id", None) or context.get("run_id") or getattr(ti, "run_id", None) or "?"
    logical = context.get("logical_date") or getattr(dag_run, "logical_date", None) or \
        getattr(dag_run, "run_after", None)
    step = _step_of(dag_id)
    name = f"l'étape {step.number} « {step.title} »" if step else f"le traitement {dag_id}"
    short = f"étape {step.number} — {step.title}" if step else dag_id
    when = ""
    if logical is not None:
        from arrears.core.calendar import as_of_from_logical_date

        when = date_fr(as_of_from_logical_date(logical))
    lines = [f"Le run de {name} a échoué."]
    facts = [f"DAG : {dag_id}", f"Run : {run_id}"]
    if when:
        facts.append(f"Date du traitement : {when}")
    if ti is not None and getattr(ti, "task_id", None):
        attempt = getattr(ti, "try_number", None)
        facts.append(f"Tâche en échec : {ti.task_id}" + (f" (tentative {attempt})" if attempt else ""))
    exc = context.get("exception")
    if exc is not None:
        kind = exc.__name__ if isinstance(exc, type) else type(exc).__name__
        facts.append(f"Erreur : {kind} (le détail est dans le journal de la tâche)")
    elif context.get("reason"):
        facts.append(f"Motif : {context['reason']}")
    base = _ui_base_url()
    if run_id != "?":
        facts.append(f"Voir le run : {run_url(dag_id, run_id, base)}")
    advice = ("Corrigez la cause puis relancez les tâches en échec (Clear) : le journal des actions garantit "
              "qu'aucun courrier, numéro de recommandé ni tâche ne sera produit deux fois.")
    subject = f"{SUBJECT_PREFIX} Échec — {short}" + (f" ({when})" if when else "")
    return Alert("step_failure", subject, "\n\n".join([lines[0], "\n".join(facts), advice]),
                 {"dag_id": dag_id, "run_id": run_id})


def _step_failure_notifier_class():
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    class StepFailureNotifier(SmtpNotifier):
        """``SmtpNotifier`` whose subject and body are built from the failure's context (in French)."""

        def notify(self, context):
            alert = failure_alert(context)
            self.subject = alert.subject
            self.html_content = alert.html
            super().notify(context)

    return StepFailureNotifier


def step_failure_notifier(*, to: str | Iterable[str] | None = None, smtp_conn_id: str | None = None):
    """A notifier for ``on_failure_callback`` (DAG or task level): mails who failed, when, and the link.

    Recipients are resolved when the notifier is built, i.e. when the DAG file is parsed: with
    ``ARREARS_ALERTS_TO`` set no connection is read then; otherwise the SMTP connection is looked up.
    """
    conn_id = smtp_conn_id or default_smtp_conn_id()
    if to is None:
        env = os.environ.get("ARREARS_ALERTS_TO", "")
        to = [a.strip() for a in env.split(",") if a.strip()] or None
    return _notifier(None, to if to is not None else _LazyRecipients(conn_id), conn_id,
                     cls=_step_failure_notifier_class())


class _LazyRecipients(list):
    """Recipients read from the connection at send time (not at DAG parse time)."""

    def __init__(self, conn_id: str):
        super().__init__()
        self.conn_id = conn_id
        self._loaded = False

    def _load(self) -> None:
        if not self._loaded:
            self.extend(alert_recipients(self.conn_id))
            self._loaded = True

    def __iter__(self):
        self._load()
        return super().__iter__()

    def __len__(self):
        self._load()
        return super().__len__()


# --------------------------------------------------------------------------------------------------
# (b) A cohort much larger than last month's
# --------------------------------------------------------------------------------------------------


def _previous_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    index = year * 12 + month - 2
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_cohort_size(engine, step: int, period: str) -> int | None:
    """Last month's cohort of ``step``: the latest real (not dry) successful run of the month before."""
    from sqlalchemy import select

    from arrears.core.models import StepRun

    with engine.connect() as conn:
        rows = conn.execute(
            select(StepRun.summary)
            .where(StepRun.step == step, StepRun.period == _previous_period(period),
                   StepRun.dry_run.is_(False), StepRun.status == "success")
            .order_by(StepRun.as_of.desc(), StepRun.finished_at.desc(), StepRun.step_run_id.desc())
        ).all()
    for (summary,) in rows:
        if isinstance(summary, dict) and summary.get("cohort") is not None:
            return int(summary["cohort"])
    return None


def _factor(factor: float | None) -> float:
    return float(factor if factor is not None else os.environ.get("ARREARS_COHORT_ALERT_FACTOR", DEFAULT_FACTOR))


def _min_size(min_size: int | None) -> int:
    return int(min_size if min_size is not None else os.environ.get("ARREARS_COHORT_ALERT_MIN_SIZE",
                                                                    DEFAULT_MIN_SIZE))


def cohort_size_alert(step: int | str, period: str, cohort_size: int, previous: int | None,
                      factor: float | None = None, *, min_size: int | None = None, plan=None) -> Alert | None:
    """The alert when ``cohort_size`` ≥ ``min_size`` and > ``factor`` × last month's (None: no alert)."""
    factor, min_size = _factor(factor), _min_size(min_size)
    if previous is None or cohort_size < min_size or cohort_size <= factor * previous:
        return None
    spec = _step_of(step, plan)
    number = spec.number if spec else step
    name = f"l'étape {number} « {spec.title} »" if spec else f"l'étape {number}"
    short = f"étape {number} — {spec.title}" if spec else f"étape {number}"
    month, last_month = month_fr(period), month_fr(_previous_period(period))
    ratio = f"{cohort_size / previous:.1f}".replace(".", ",") if previous else None
    compare = f"soit {ratio} fois plus" if ratio else "alors qu'elle était vide"
    factor_text = f"{factor:g}".replace(".", ",")
    body = "\n\n".join([
        (f"La cohorte de {name} compte {cohort_size} baux pour {month}, contre {previous} le mois précédent "
        f"({last_month}), {compare}."),
        f"Seuil d'alerte : plus de {factor_text} fois la cohorte du mois précédent, à partir de {min_size} baux.",
        ("Un import cassé (fichier incomplet, en double ou mal lu : soldes, quittancement, règlements) se "
        "manifeste souvent ainsi. Vérifiez le dernier import du dossier de dépôt et ses lignes en "
        "quarantaine avant de laisser partir les courriers ; au besoin, relancez l'étape en aperçu (dry_run)."),
    ])
    subject = f"{SUBJECT_PREFIX} Cohorte inhabituelle — {short} : {cohort_size} baux contre {previous} ({month})"
    return Alert("cohort_size", subject, body, {"step": number, "period": period, "cohort": cohort_size,
                                                 "previous": previous, "factor": factor, "min_size": min_size})


def check_cohort_size(step: int | str, period: str, cohort_size: int, engine, factor: float | None = None, *,
                      min_size: int | None = None, send: bool = True, to: str | Iterable[str] | None = None,
                      smtp_conn_id: str | None = None, plan=None) -> Alert | None:
    """Compare this run's cohort with last month's for the same step (``step_runs``); alert when it is more
    than ``factor`` times larger (default 2.0, ``ARREARS_COHORT_ALERT_FACTOR``) and at least ``min_size``
    leases (default 20, ``ARREARS_COHORT_ALERT_MIN_SIZE``). Returns the alert (sent when ``send``), or None.

    A failure to send is logged, never raised: the alert must not stop the step.
    """
    spec = _step_of(step, plan)
    number = spec.number if spec else int(step)
    alert = cohort_size_alert(number, period, cohort_size, previous_cohort_size(engine, number, period), factor,
                              min_size=min_size, plan=plan)
    if alert is not None:
        log.warning("step %s %s: cohort of %d is more than %s times last month's (%s)", number, period,
                    cohort_size, alert.details["factor"], alert.details["previous"])
        if send:
            try:
                send_alert(alert, to=to, smtp_conn_id=smtp_conn_id)
            except Exception as exc:  # noqa: BLE001 - an unsent alert is logged, the step goes on
                log.warning("the cohort-size alert could not be sent: %s: %s", type(exc).__name__, exc)
    return alert


# --------------------------------------------------------------------------------------------------
# (c) Late steps
# --------------------------------------------------------------------------------------------------


def late_steps(month: str | dt.date, today: dt.date, engine=None, *, airflow_session=None,
               airflow_runs: list[dict] | None = None, plan=None) -> list[dict]:
    """The planned runs of ``month`` whose planned date (window end for a window step such as step 6) is
    before ``today`` and that have no successful real (not dry) run.

    Runs are read from the project's ``step_runs`` (``engine``; the summary task writes a row when a run
    succeeds) and, when given, from Airflow (``airflow_session`` or ``airflow_runs``). Each item: number,
    id, title, planned, deadline, state (late / failed / awaiting_approval / running / queued), state_label.
    """
    from arrears.orchestration.month_view import month_view_data

    data = month_view_data(month, airflow_session=airflow_session, engine=engine, plan=plan, today=today,
                           airflow_runs=airflow_runs)
    out = []
    for step in data["steps"]:
        for occ in step["occurrences"]:
            if dt.date.fromisoformat(occ["deadline"]) >= today:
                continue
            if any(r["state_key"] == "success" and not r["dry_run"] for r in occ["runs"]):
                continue
            state = occ["state"] if occ["state"] != "success" else "late"
            out.append({"number": step["number"], "id": step["id"], "title": step["title"],
                        "planned": occ["planned"], "deadline": occ["deadline"], "state": state,
                        "state_label": occ["state_label"] if state == occ["state"] else "En retard"})
    return out


def late_steps_alert(late: list[dict], today: dt.date) -> Alert | None:
    """One e-mail listing every late planned run (None when nothing is late)."""
    if not late:
        return None
    lines = []
    for item in late:
        deadline = "" if item["deadline"] == item["planned"] else f", fenêtre close le {date_fr(item['deadline'])}"
        lines.append(f"- Étape {item['number']} « {item['title']} » : prévue le {date_fr(item['planned'])}"
                     f"{deadline} — {item['state_label'].lower()}")
    n = len(late)
    subject = (f"{SUBJECT_PREFIX} {n} étape{'s' if n > 1 else ''} en retard au {date_fr(today)}")
    body = "\n\n".join([
        (f"Au {date_fr(today)}, {'ces traitements prévus n’ont' if n > 1 else 'ce traitement prévu n’a'} "
        "pas de run réussi :"),
        "\n".join(lines),
        ("Vérifiez dans Airflow (Parcourir → Plan du mois) : un run en échec se relance depuis sa page ; "
        "une étape en attente d'approbation attend la décision d'un·e responsable (Actions requises) ; "
        "une étape sans run se déclenche à la main avec sa date de traitement."),
    ])
    return Alert("late_steps", subject, body, {"late": late, "today": today.isoformat()})


def watch_late_steps(today: dt.date, engine=None, *, airflow_session=None, send: bool = True,
                     to: str | Iterable[str] | None = None, smtp_conn_id: str | None = None,
                     plan=None) -> dict[str, Any]:
    """The watchdog's check: late runs of the previous and the current month at ``today``; one e-mail."""
    if engine is None:
        from arrears.core.db import engine_for

        engine = engine_for()
    previous = dt.date(today.year, today.month, 1) - dt.timedelta(days=1)
    late = []
    for month in (previous.strftime("%Y-%m"), today.strftime("%Y-%m")):
        late += late_steps(month, today, engine, airflow_session=airflow_session, plan=plan)
    alert = late_steps_alert(late, today)
    if alert is not None and send:
        send_alert(alert, to=to, smtp_conn_id=smtp_conn_id)
    return {"today": today.isoformat(), "late": late, "sent": bool(alert is not None and send)}
