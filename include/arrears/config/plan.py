"""The monthly plan as data: load and validate ``include/plan.toml``.

    plan = load_plan()
    step = plan.step(6)                  # or "6", or "end_of_pre_litigation"
    step.day, step.window_end, step.threshold("max_balance_cents"), step.letter_template("reminder", "P3")

Validation happens on load; every error names the file and the line of the offending key, e.g.
``include/plan.toml, line 57: step 'foo': day 32 is not a day of the month``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arrears.config.letter_settings import LETTER_SETTINGS, LetterSettings, letter_settings  # noqa: F401
from arrears.core.settings import PROJECT_ROOT
from arrears.decide.decision import LETTER_TYPES, PROFILES

DEFAULT_PLAN_PATH = PROJECT_ROOT / "include" / "plan.toml"
LETTER_TEMPLATES_DIR = PROJECT_ROOT / "templates" / "letters"
STEP_NUMBERS = tuple(range(1, 16))
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class PlanError(ValueError):
    """The plan file is invalid (the message names the file and the line), or a step is unknown."""


# Plan-level settings: name -> (type, default).
PLAN_SETTINGS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "tolerance_cents": (int, 1000),
    "plan_grace_days": (int, 10),
    "formal_notice_deadline_days": (int, 8),
    "region": (str, ""),
    "hour": (int, 7),
    "minute": (int, 0),
    "timezone": (str, "Europe/Paris"),
    "continuous_weekday": (int, 0),
    "caf_threshold_multiplier": ((int, float), 2),
    "caf_report_deadline_months": (int, 2),
    "max_import_age_days": (int, 3),
    # Worklist priority score (PLAN.md revision 5): a deadline within N days (or past) first, then amount
    # and age: score = deadline points + points per 100 € of balance + points per 30 days of arrears.
    "worklist_deadline_days": (int, 7),
    "worklist_deadline_points": (int, 1000),
    "worklist_points_per_100_eur": ((int, float), 1),
    "worklist_points_per_30_days": ((int, float), 2),
    "late_payment_grace_days": (int, 10),
    # Contact policy (revision 5): ladder levels per letter type, spacing, same-date order of the steps.
    "letter_spacing_days": (int, 10),
    "registered_letter_level": (int, 3),
    "same_date_order": (list, [3, 2, 10, 7, 4, 12, 11, 9, 5]),
    "letter_ladder": (dict, {"friendly_reminder": 1, "new_tenant": 1, "late_payment": 1, "convocation": 2,
                             "repeat_debtor": 2, "broken_plan_reminder": 2, "formal_notice": 3,
                             "last_notice": 4}),
    "event_letters": (list, ["dd_reject", "sls_sanction", "departed_tenant"]),
}

# What each step's query and decision logic understand: thresholds (name -> default) and letter roles
# (role -> default template). A key the step does not know is an error (a typo would otherwise be ignored).
STEP_THRESHOLDS: dict[int, dict[str, int | float]] = {
    1: {"max_balance_cents": 10000, "min_arrears_age_days": 15},
    2: {"recent_action_days": 90},
    3: {"min_balance_cents": 150000, "no_contact_days": 30, "convocation_answer_days": 15},
    4: {},
    5: {"min_arrears_age_days": 30, "no_action_days": 30},
    6: {},
    7: {"new_tenant_months": 12, "min_arrears_age_days": 15, "referral_effort_rate": 0.35},
    8: {"min_closed_episodes": 2, "broken_plan_months": 24},
    9: {"min_months_paid_late": 2},
    10: {"successive_months": 3},
    11: {"min_months_due": 3, "long_arrears_days": 90, "long_arrears_min_balance_cents": 50000,
         "notice_min_age_days": 15},
    12: {},
    13: {"exceptional_income_years": 3},
    14: {"departed_months": 12, "no_payment_months": 6, "max_balance_cents": 30000},
    15: {},
}
STEP_LETTER_ROLES: dict[int, dict[str, str]] = {
    1: {"reminder": "friendly_reminder"},
    2: {},
    3: {"convocation": "convocation", "formal_notice": "formal_notice"},
    4: {"reminder": "broken_plan_reminder", "formal_notice": "formal_notice",
        "overindebtedness": "broken_plan_reminder"},
    5: {},
    6: {},
    7: {"welcome": "new_tenant"},
    8: {"firm": "repeat_debtor"},
    9: {"late_payment": "late_payment"},
    10: {"new_payment_means": "dd_reject", "pay_rejected_amount": "dd_reject"},
    11: {"last_notice": "last_notice"},
    12: {"sls": "sls_sanction"},
    13: {},
    14: {},
    15: {"departed": "departed_tenant"},
}
STEP_KEYS = {
    "number", "id", "title", "week", "day", "window_end", "continuous", "weekday", "needs_approval",
    "enabled", "documents", "thresholds", "letters", "description",
}
KNOWN_DOCUMENTS = {
    "letter", "worklist", "transfer_file", "handover_list", "review_pack", "write_off_form",
    "accounting_list",
}
PROFILE_KEYS = ("default", *PROFILES)

@dataclass(frozen=True)
class StepSpec:
    """One step of the monthly plan, as the plan file defines it."""

    number: int
    id: str
    title: str
    week: int | None
    day: int | None                  # first day of the month the step may run (None: continuous)
    window_end: int | None           # last day of a window ("1st-7th"), None when the step has a single day
    continuous: bool                 # runs weekly on ``weekday``
    weekday: int
    needs_approval: bool
    enabled: bool
    documents: tuple[str, ...]      # what a run writes (orchestration.step_documents)
    thresholds: dict[str, Any]
    letters: dict[str, dict[str, str]]   # role -> {"default": template, "P3": template, ...}
    description: str = ""            # what the step is for, in French (DAG documentation)
    hour: int = 7
    minute: int = 0
    timezone: str = "Europe/Paris"
    region: str | None = None

    def threshold(self, name: str) -> Any:
        try:
            return self.thresholds[name]
        except KeyError:
            raise PlanError(f"step {self.number} ({self.id}) has no threshold {name!r}") from None

    def letter_template(self, role: str, profile: str | None = None) -> str:
        """The template of the letter ``role`` for a lease of debtor profile ``profile``."""
        try:
            by_profile = self.letters[role]
        except KeyError:
            raise PlanError(f"step {self.number} ({self.id}) sends no letter {role!r}") from None
        return by_profile.get(profile or "default") or by_profile["default"]

    @property
    def schedule(self):
        """The step's ``arrears.core.calendar.StepSchedule`` (days, window, weekly run, hour, holidays region)."""
        from arrears.core.calendar import StepSchedule

        return StepSchedule(
            day=self.day, window_end=self.window_end, continuous=self.continuous, weekday=self.weekday,
            hour=self.hour, minute=self.minute, timezone=self.timezone, region=self.region,
        )

    @property
    def dag_id(self) -> str:
        return self.id

    @property
    def purpose_fr(self) -> str:
        return self.description


@dataclass(frozen=True)
class Plan:
    """The whole plan: settings and the 15 steps in number order."""

    steps: tuple[StepSpec, ...]
    tolerance_cents: int = 1000
    plan_grace_days: int = 10
    formal_notice_deadline_days: int = 8
    region: str | None = None
    hour: int = 7
    minute: int = 0
    timezone: str = "Europe/Paris"
    continuous_weekday: int = 0
    caf_threshold_multiplier: float = 2
    caf_report_deadline_months: int = 2
    max_import_age_days: int = 3
    worklist_deadline_days: int = 7
    worklist_deadline_points: int = 1000
    worklist_points_per_100_eur: float = 1
    worklist_points_per_30_days: float = 2
    late_payment_grace_days: int = 10
    letter_spacing_days: int = 10
    registered_letter_level: int = 3
    same_date_order: tuple[int, ...] = (3, 2, 10, 7, 4, 12, 11, 9, 5)
    letter_ladder: dict[str, int] = field(default_factory=lambda: dict(PLAN_SETTINGS["letter_ladder"][1]),
                                          hash=False)
    event_letters: tuple[str, ...] = ("dd_reject", "sls_sanction", "departed_tenant")
    path: Path | None = field(default=None, compare=False)
    letters: LetterSettings = field(default_factory=LetterSettings)

    def step(self, key: str | int) -> StepSpec:
        """A step by number (``6``, ``"6"``) or id (``"end_of_pre_litigation"``)."""
        text = str(key).strip()
        for spec in self.steps:
            if text == spec.id or (text.isdigit() and int(text) == spec.number):
                return spec
        known = ", ".join(f"{s.number} {s.id}" for s in self.steps)
        raise PlanError(f"unknown step {key!r} (known steps: {known})")


# --------------------------------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------------------------------


class _Lines:
    """Finds the line of a key in the plan file's text, to name it in error messages."""

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.step_headers = [i for i, line in enumerate(self.lines) if re.match(r"^\s*\[\[\s*steps\s*\]\]", line)]

    def _block(self, step_index: int | None) -> tuple[int, int]:
        if step_index is None:  # the [plan] table
            start = next((i for i, line in enumerate(self.lines) if re.match(r"^\s*\[\s*plan\s*\]", line)), 0)
            end = next((i for i in self.step_headers if i > start), len(self.lines))
            return start, end
        start = self.step_headers[step_index]
        end = self.step_headers[step_index + 1] if step_index + 1 < len(self.step_headers) else len(self.lines)
        return start, end

    def find(self, step_index: int | None, *path: str) -> int:
        """1-based line of ``path`` (``("day",)`` or ``("thresholds", "max_balance_cents")``) in a block."""
        start, end = self._block(step_index)
        pos = start
        if len(path) > 1:
            sub = path[0]
            for i in range(start, end):
                if re.match(rf"^\s*\[\s*steps\s*\.\s*{re.escape(sub)}\s*\]", self.lines[i]) or re.match(
                        rf"^\s*{re.escape(sub)}\s*=", self.lines[i]):
                    pos = i
                    break
        key = path[-1]
        for i in range(pos, end):
            if re.match(rf'^\s*"?{re.escape(key)}"?\s*=', self.lines[i]):
                return i + 1
        for i in range(pos, end):  # inline tables: key = { P3 = ... }
            if re.search(rf'[{{,]\s*"?{re.escape(key)}"?\s*=', self.lines[i]):
                return i + 1
        return pos + 1


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT.resolve()))
    except ValueError:
        return str(path)


def _template_names() -> set[str]:
    names = set(LETTER_TYPES)
    if LETTER_TEMPLATES_DIR.is_dir():
        names |= {p.name for p in LETTER_TEMPLATES_DIR.iterdir() if p.is_dir()}
    return names


def load_plan(path: Path | str | None = None) -> Plan:
    """Load and validate the plan file (default ``include/plan.toml``)."""
    path = Path(path) if path is not None else DEFAULT_PLAN_PATH
    reader = _PlanReader(path)
    merged = reader.settings()
    region = merged["region"] or None
    raw_steps = reader.data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise PlanError(f"{reader.shown}: no [[steps]] in the plan file")
    templates = _template_names()
    steps = [reader.step(index, raw, merged, region, templates) for index, raw in enumerate(raw_steps)]
    reader.check_ladder(steps, merged)
    shown, seen_numbers = reader.shown, reader.seen_numbers
    missing = [n for n in STEP_NUMBERS if n not in seen_numbers]
    if missing:
        raise PlanError(f"{shown}: steps {', '.join(map(str, missing))} are missing (the plan has 15 steps; "
                        f"set enabled = false to switch one off)")
    steps.sort(key=lambda s: s.number)
    return Plan(
        steps=tuple(steps), tolerance_cents=merged["tolerance_cents"], plan_grace_days=merged["plan_grace_days"],
        formal_notice_deadline_days=merged["formal_notice_deadline_days"], region=region,
        hour=merged["hour"], minute=merged["minute"], timezone=merged["timezone"],
        continuous_weekday=merged["continuous_weekday"],
        caf_threshold_multiplier=merged["caf_threshold_multiplier"],
        caf_report_deadline_months=merged["caf_report_deadline_months"],
        **{k: merged[k] for k in merged if k.startswith("worklist_")},
        late_payment_grace_days=merged["late_payment_grace_days"], max_import_age_days=merged["max_import_age_days"],
        letter_spacing_days=merged["letter_spacing_days"], registered_letter_level=merged["registered_letter_level"],
        same_date_order=tuple(merged["same_date_order"]), letter_ladder=dict(merged["letter_ladder"]),
        event_letters=tuple(merged["event_letters"]), path=path,
        letters=letter_settings(reader.data.get("letters") or {}, reader.letters_fail),
    )


class _PlanReader:
    """One plan file being read: its text and TOML data; ``fail`` raises naming the file and the line."""

    def __init__(self, path: Path):
        self.shown = shown = _display(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PlanError(f"{shown}: cannot read the plan file ({exc.strerror})") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
            msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
            where = f", line {match.group(1)}" if match else ""
            raise PlanError(f"{shown}{where}: not valid TOML: {msg}") from None
        lines = _Lines(text)
        self.text, self.data, self.lines = text, data, lines
        self.seen_numbers: dict[int, str] = {}
        self.seen_ids: dict[str, int] = {}

    def letters_fail(self, key: str, message: str):
        line = next((i + 1 for i, t in enumerate(self.lines.lines) if re.match(rf"^\s*{re.escape(key)}\s*=", t)), 1)
        raise PlanError(f"{self.shown}, line {line}: [letters] {message}")

    def fail(self, step_index: int | None, key_path: tuple[str, ...], who: str, message: str):
        lines, shown = self.lines, self.shown
        line = lines.find(step_index, *key_path) if key_path else (
            lines._block(step_index)[0] + 1)
        raise PlanError(f"{shown}, line {line}: {who}{message}")

    def settings(self) -> dict[str, Any]:
        """The [plan] table's settings, checked, with the defaults of the keys not given."""
        data, lines, shown, fail = self.data, self.lines, self.shown, self.fail
        for key in data:
            if key not in ("plan", "steps", "letters"):
                line = next((i + 1 for i, t in enumerate(lines.lines)
                             if re.match(rf"^\s*\[*\s*{re.escape(key)}\b", t)), 1)
                raise PlanError(f"{shown}, line {line}: unknown key {key!r} (expected [plan] and [[steps]])")

        settings: dict[str, Any] = {}
        for key, value in (data.get("plan") or {}).items():
            if key not in PLAN_SETTINGS:
                fail(None, (key,), "", f"unknown plan setting {key!r} (known: {', '.join(PLAN_SETTINGS)})")
            kind, _default = PLAN_SETTINGS[key]
            if isinstance(value, bool) or not isinstance(value, kind):
                fail(None, (key,), "", f"plan setting {key!r} must be a {_type_name(kind)}, not {value!r}")
            settings[key] = value
        merged = {k: settings.get(k, default) for k, (_kind, default) in PLAN_SETTINGS.items()}
        for key in ("tolerance_cents", "plan_grace_days", "formal_notice_deadline_days",
                    "caf_report_deadline_months", "worklist_deadline_days", "worklist_deadline_points",
                    "worklist_points_per_100_eur", "worklist_points_per_30_days", "late_payment_grace_days",
                    "max_import_age_days"):
            if merged[key] < 0:
                fail(None, (key,), "", f"{key} must not be negative")
        if not 0 <= merged["hour"] <= 23:
            fail(None, ("hour",), "", f"hour {merged['hour']} is not an hour of the day (0-23)")
        if not 0 <= merged["minute"] <= 59:
            fail(None, ("minute",), "", f"minute {merged['minute']} is not a minute (0-59)")
        if not 0 <= merged["continuous_weekday"] <= 6:
            fail(None, ("continuous_weekday",), "", "continuous_weekday must be 0 (Monday) to 6 (Sunday)")
        if merged["caf_threshold_multiplier"] <= 0:
            fail(None, ("caf_threshold_multiplier",), "", "caf_threshold_multiplier must be positive")
        self._contact_policy(merged)
        return merged

    def _contact_policy(self, merged: dict[str, Any]) -> None:
        """The letter ladder, the spacing and the same-date order of the steps (PLAN.md revision 5)."""
        fail = self.fail
        templates_all = _template_names()
        if merged["letter_spacing_days"] < 1:
            fail(None, ("letter_spacing_days",), "", "letter_spacing_days must be at least 1")
        ladder = merged["letter_ladder"]
        for name, level in ladder.items():
            if isinstance(level, bool) or not isinstance(level, int) or level < 1:
                fail(None, (name,), "", f"letter_ladder: level of {name!r} must be a whole number >= 1")
            if name not in templates_all:
                fail(None, (name,), "", f"letter_ladder: unknown letter {name!r}")
        events = merged["event_letters"]
        if not all(isinstance(x, str) for x in events):
            fail(None, ("event_letters",), "", "event_letters must be a list of letter names")
        both = sorted(set(events) & set(ladder))
        if both:
            fail(None, ("event_letters",), "", f"{', '.join(both)}: a letter is on the ladder or an event, not both")
        order = merged["same_date_order"]
        if (not all(isinstance(x, int) and not isinstance(x, bool) and x in STEP_NUMBERS for x in order)
                or len(set(order)) != len(order)):
            fail(None, ("same_date_order",), "", "same_date_order must list step numbers (1-15), each once")

    def check_ladder(self, steps: list[StepSpec], merged: dict[str, Any]) -> None:
        """Every letter template a step may send is on the ladder or an event letter."""
        ladder, events = merged["letter_ladder"], merged["event_letters"]
        for index, spec in enumerate(steps):
            for role, by_profile in spec.letters.items():
                for template in by_profile.values():
                    if template not in ladder and template not in events:
                        self.fail(index, ("letters", role), f"step {spec.id!r}: ",
                                  f"letter {role!r}: template {template!r} is neither on the letter ladder "
                                  f"([plan.letter_ladder]) nor an event letter (event_letters)")

    def step(self, index: int, raw: dict[str, Any], merged: dict[str, Any], region: str | None,
             templates: set[str]) -> StepSpec:
        """One [[steps]] table, checked, as a StepSpec."""
        number, step_id, who, title = self._identity(index, raw)
        check_type = self._type_checker(index, raw, who)
        week, day, window_end, continuous, weekday, needs_approval, enabled = self._schedule(
            index, raw, who, merged, check_type)
        documents = self._documents(index, raw, who, number)
        thresholds = self._thresholds(index, raw, who, number)
        letters = self._letters(index, raw, who, number, templates)
        description = check_type("description", str) or ""
        return StepSpec(
            number=number, id=step_id, title=title.strip(), description=description.strip(), week=week, day=day,
            window_end=window_end, continuous=continuous, weekday=weekday, needs_approval=needs_approval,
            enabled=enabled, documents=documents, thresholds=thresholds, letters=letters,
            hour=merged["hour"], minute=merged["minute"], timezone=merged["timezone"], region=region,
        )

    def _identity(self, index: int, raw: dict[str, Any]) -> tuple[int, str, str, str]:
        fail, seen_numbers, seen_ids = self.fail, self.seen_numbers, self.seen_ids
        who = f"step {raw.get('id', raw.get('number', index + 1))!r}: "
        for key in raw:
            if key not in STEP_KEYS:
                fail(index, (key,), who, f"unknown key {key!r} (known: {', '.join(sorted(STEP_KEYS))})")
        number = raw.get("number")
        if not isinstance(number, int) or isinstance(number, bool):
            fail(index, ("number",) if "number" in raw else (), who, "a step needs a whole 'number'")
        if number not in STEP_NUMBERS:
            fail(index, ("number",), who, f"unknown step number {number} (steps are numbered 1 to 15)")
        if number in seen_numbers:
            fail(index, ("number",), who, f"step number {number} is already used by step "
                                          f"{seen_numbers[number]!r}")
        step_id = raw.get("id")
        if not isinstance(step_id, str) or not _ID_RE.match(step_id):
            fail(index, ("id",) if "id" in raw else (), who,
                 f"id {step_id!r} must be ASCII snake_case (a-z, 0-9, _; it is the DAG id)")
        if step_id in seen_ids:
            fail(index, ("id",), who, f"duplicate id {step_id!r} (already used by step {seen_ids[step_id]})")
        seen_numbers[number] = step_id
        seen_ids[step_id] = number
        who = f"step {step_id!r}: "
        title = raw.get("title")
        if not isinstance(title, str) or not title.strip():
            fail(index, ("title",) if "title" in raw else (), who, "a step needs a French 'title'")
        return number, step_id, who, title

    def _type_checker(self, index: int, raw: dict[str, Any], who: str):
        fail = self.fail

        def check_type(key, kinds, _raw=raw, _index=index, _who=who):
            value = _raw.get(key)
            if value is not None and (isinstance(value, bool) and bool not in _as_tuple(kinds)
                                      or not isinstance(value, kinds)):
                fail(_index, (key,), _who, f"{key!r} must be a {_type_name(kinds)}, not {value!r}")
            return value

        return check_type

    def _schedule(self, index: int, raw: dict[str, Any], who: str, merged: dict[str, Any], check_type):
        fail = self.fail
        continuous = bool(check_type("continuous", bool) or False)
        needs_approval = bool(check_type("needs_approval", bool) or False)
        enabled = check_type("enabled", bool)
        enabled = True if enabled is None else enabled
        week = check_type("week", int)
        if week is not None and not 1 <= week <= 5:
            fail(index, ("week",), who, f"week {week} is not a week of the month (1-5)")
        day = check_type("day", int)
        window_end = check_type("window_end", int)
        weekday = check_type("weekday", int)
        weekday = merged["continuous_weekday"] if weekday is None else weekday
        if not 0 <= weekday <= 6:
            fail(index, ("weekday",), who, f"weekday {weekday} must be 0 (Monday) to 6 (Sunday)")
        if continuous:
            if day is not None:
                fail(index, ("day",), who, "a continuous step runs weekly: give 'weekday', not 'day'")
            if window_end is not None:
                fail(index, ("window_end",), who, "a continuous step has no window")
        else:
            if day is None:
                fail(index, (), who, "a step needs a 'day' of the month (or continuous = true)")
            if not 1 <= day <= 31:
                fail(index, ("day",), who, f"day {day} is not a day of the month")
            if window_end is not None:
                if not 1 <= window_end <= 31:
                    fail(index, ("window_end",), who, f"window_end {window_end} is not a day of the month")
                if window_end < day:
                    fail(index, ("window_end",), who, f"window_end {window_end} is before day {day}")
                if window_end == day:
                    window_end = None
        return week, day, window_end, continuous, weekday, needs_approval, enabled

    def _documents(self, index: int, raw: dict[str, Any], who: str, number: int) -> tuple[str, ...]:
        fail = self.fail
        documents = _str_list(raw, "documents", KNOWN_DOCUMENTS, lambda m, k="documents", i=index, w=who:
                              fail(i, (k,), w, m))
        if ("letter" in documents) != bool(STEP_LETTER_ROLES[number]):
            fail(index, ("documents",), who, ("step {n} sends letters: its documents must list 'letter'"
                                             if STEP_LETTER_ROLES[number] else
                                             "step {n} sends no letter: its documents must not list 'letter'")
                 .format(n=number))
        return documents

    def _thresholds(self, index: int, raw: dict[str, Any], who: str, number: int) -> dict[str, Any]:
        fail = self.fail
        thresholds = dict(STEP_THRESHOLDS[number])
        raw_thresholds = raw.get("thresholds", {})
        if not isinstance(raw_thresholds, dict):
            fail(index, ("thresholds",), who, "'thresholds' must be a table")
        for key, value in raw_thresholds.items():
            if key not in thresholds:
                known = ", ".join(thresholds) or "none"
                fail(index, ("thresholds", key), who,
                     f"unknown threshold {key!r} for step {number} (known: {known})")
            default = thresholds[key]
            ok = (isinstance(value, int | float) if isinstance(default, float) else isinstance(value, int))
            if isinstance(value, bool) or not ok:
                fail(index, ("thresholds", key), who, f"threshold {key!r} must be a number, not {value!r}")
            if value < 0:
                fail(index, ("thresholds", key), who, f"threshold {key!r} must not be negative")
            thresholds[key] = value
        return thresholds

    def _letters(self, index: int, raw: dict[str, Any], who: str, number: int,
                 templates: set[str]) -> dict[str, dict[str, str]]:
        fail = self.fail
        letters: dict[str, dict[str, str]] = {
            role: {"default": template} for role, template in STEP_LETTER_ROLES[number].items()
        }
        raw_letters = raw.get("letters", {})
        if not isinstance(raw_letters, dict):
            fail(index, ("letters",), who, "'letters' must be a table")
        for role, value in raw_letters.items():
            if role not in letters:
                known = ", ".join(letters) or "none"
                fail(index, ("letters", role), who, f"unknown letter {role!r} for step {number} (known: {known})")
            by_profile = {"default": value} if isinstance(value, str) else value
            if not isinstance(by_profile, dict):
                fail(index, ("letters", role), who, f"letter {role!r} must be a template name or a table")
            for profile, template in by_profile.items():
                if profile not in PROFILE_KEYS:
                    fail(index, ("letters", profile), who,
                         f"letter {role!r}: unknown profile {profile!r} (known: {', '.join(PROFILE_KEYS)})")
                if not isinstance(template, str) or template not in templates:
                    fail(index, ("letters", role), who,
                         f"letter {role!r}: missing template {template!r} (no folder templates/letters/"
                         f"{template}/ and not a letter type: {', '.join(LETTER_TYPES)})")
            letters[role] = {"default": letters[role]["default"], **by_profile}
        return letters


def _as_tuple(kinds) -> tuple:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _type_name(kinds) -> str:
    names = {int: "whole number", float: "number", str: "text", bool: "true/false"}
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kinds))


def _str_list(raw: dict, key: str, known: set[str], fail) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        fail(f"{key!r} must be a list of names")
    for item in value:
        if item not in known:
            fail(f"unknown {key[:-1]} {item!r} (known: {', '.join(sorted(known))})")
    return tuple(value)
