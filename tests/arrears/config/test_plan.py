"""The plan file: the defaults of PLAN.md, and validation errors that name the line."""

from __future__ import annotations

import re

import pytest
from arrears.config.plan import DEFAULT_PLAN_PATH, PlanError, load_plan
from arrears.decide.decision import LETTER_TYPES

TEXT = DEFAULT_PLAN_PATH.read_text(encoding="utf-8")


def line_of(text: str, pattern: str, after: str | None = None) -> int:
    lines = text.splitlines()
    start = 0
    if after:
        start = next(i for i, line in enumerate(lines) if after in line)
    return next(i for i in range(start, len(lines)) if re.search(pattern, lines[i])) + 1


def in_step(text: str, step_id: str, old: str, new: str) -> str:
    """``text`` with the first line ``old`` of step ``step_id``'s block replaced by ``new``."""
    start = text.index(f'id = "{step_id}"')
    at = text.index(old, start)
    return text[:at] + new + text[at + len(old):]


def load_text(tmp_path, text: str):
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return load_plan(path)


def test_default_plan_matches_plan_md():
    plan = load_plan()
    assert [s.number for s in plan.steps] == list(range(1, 16))
    assert len({s.id for s in plan.steps}) == 15
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", s.id) for s in plan.steps)
    days = {s.number: (s.week, s.day, s.window_end, s.continuous) for s in plan.steps}
    assert days == {
        1: (1, 1, None, False), 2: (2, 5, None, False), 3: (2, 5, None, False), 4: (3, 15, None, False),
        5: (4, 25, None, False), 6: (1, 1, 7, False), 7: (2, 10, None, False), 8: (3, 20, None, False),
        9: (4, 25, None, False), 10: (2, 10, None, False), 11: (4, 25, None, False), 12: (3, 15, None, False),
        13: (None, None, None, True), 14: (None, None, None, True), 15: (None, None, None, True),
    }
    assert plan.step(1).title == "Gestion des soldes < 100 €"
    assert plan.step(6).title == "Fin de GP (fin de gestion précontentieuse)"
    assert [s.number for s in plan.steps if s.needs_approval] == [6, 14]
    assert plan.step(1).threshold("max_balance_cents") == 10000
    assert plan.step(3).threshold("min_balance_cents") == 150000
    assert plan.tolerance_cents == 1000 and plan.plan_grace_days == 10 and plan.formal_notice_deadline_days == 8
    assert plan.caf_threshold_multiplier == 2
    assert plan.step(15).letter_template("departed", "P3") == "departed_tenant"
    for step in plan.steps:
        for by_profile in step.letters.values():
            assert set(by_profile.values()) <= set(LETTER_TYPES)


def test_step_lookup_by_number_text_or_id():
    plan = load_plan()
    assert plan.step(6) is plan.step("6") is plan.step("end_of_pre_litigation")
    with pytest.raises(PlanError, match="unknown step 'nope'"):
        plan.step("nope")
    with pytest.raises(PlanError, match="unknown step 16"):
        plan.step(16)


def test_schedule_builds_the_calendar_schedule():
    plan = load_plan()
    six = plan.step(6).schedule
    assert (six.day, six.window_end, six.continuous, six.hour) == (1, 7, False, 7)
    weekly = plan.step(13).schedule
    assert weekly.continuous and weekly.day is None and weekly.weekday == 0


def test_day_32_names_the_line(tmp_path):
    text = in_step(TEXT, "new_tenants", "day = 10\n", "day = 32\n")
    line = line_of(text, r"^day = 32")
    with pytest.raises(PlanError) as err:
        load_text(tmp_path, text)
    assert str(err.value) == f"{tmp_path / 'plan.toml'}, line {line}: step 'new_tenants': day 32 is not a day of the month"


def test_unknown_step_number(tmp_path):
    text = TEXT.replace("number = 12\n", "number = 16\n")
    line = line_of(text, r"^number = 16")
    with pytest.raises(PlanError, match=rf"line {line}: step 'sls_sanction': unknown step number 16"):
        load_text(tmp_path, text)


def test_missing_template(tmp_path):
    text = TEXT.replace('reminder = "friendly_reminder"', 'reminder = "gentle_nudge"')
    line = line_of(text, r'^reminder = "gentle_nudge"')
    with pytest.raises(PlanError, match=rf"line {line}: step 'small_balances': letter 'reminder': missing template "
                                        r"'gentle_nudge'"):
        load_text(tmp_path, text)


def test_template_per_profile(tmp_path):
    text = TEXT.replace('reminder = "friendly_reminder"',
                        'reminder = { default = "friendly_reminder", P3 = "formal_notice" }')
    step = load_text(tmp_path, text).step(1)
    assert step.letter_template("reminder", "P3") == "formal_notice"
    assert step.letter_template("reminder", "P1") == "friendly_reminder"
    assert step.letter_template("reminder", None) == "friendly_reminder"


def test_unknown_keys_and_thresholds(tmp_path):
    text = TEXT.replace("max_balance_cents = 10000 ", "max_balanse_cents = 10000 ")
    line = line_of(text, r"^max_balanse_cents")
    with pytest.raises(PlanError, match=rf"line {line}: step 'small_balances': unknown threshold 'max_balanse_cents'"):
        load_text(tmp_path, text)
    text = in_step(TEXT, "repeat_debtors", "day = 20\n", "day = 20\ncolour = \"red\"\n")
    line = line_of(text, r"^colour")
    with pytest.raises(PlanError, match=rf"line {line}: step 'repeat_debtors': unknown key 'colour'"):
        load_text(tmp_path, text)
    text = TEXT.replace("tolerance_cents = 1000", "tolerance = 1000")
    with pytest.raises(PlanError, match=rf"line {line_of(text, r'^tolerance =')}: unknown plan setting 'tolerance'"):
        load_text(tmp_path, text)


def test_duplicate_id_and_missing_step(tmp_path):
    text = TEXT.replace('id = "late_payers"', 'id = "repeat_debtors"')
    line = line_of(text, r'^id = "repeat_debtors"', after="number = 9")
    with pytest.raises(PlanError, match=rf"line {line}: step 'repeat_debtors': duplicate id 'repeat_debtors'"):
        load_text(tmp_path, text)
    text = TEXT.replace("number = 12\n", "number = 11\n")
    with pytest.raises(PlanError, match="step number 11 is already used"):
        load_text(tmp_path, text)


def test_changed_threshold_and_day_are_used(tmp_path):
    text = in_step(TEXT.replace("max_balance_cents = 10000 ", "max_balance_cents = 15000 "),
                   "files_without_action", "day = 25\n", "day = 26\n")
    plan = load_text(tmp_path, text)
    assert plan.step(1).threshold("max_balance_cents") == 15000
    assert plan.step(5).day == 26


def test_toml_syntax_error_names_the_line(tmp_path):
    text = TEXT.replace("day = 15\n", "day = = 15\n", 1)
    line = line_of(text, r"^day = = 15")
    with pytest.raises(PlanError, match=rf"line {line}: not valid TOML"):
        load_text(tmp_path, text)


def test_revision_5_settings_and_their_validation(tmp_path):
    plan = load_plan()
    assert plan.late_payment_grace_days == 10 and plan.step(1).threshold("min_arrears_age_days") == 15
    assert plan.letter_spacing_days == 10 and plan.same_date_order[:2] == (3, 2)
    assert plan.letter_ladder["last_notice"] == 4 and "dd_reject" in plan.event_letters
    changed = load_text(tmp_path, TEXT.replace("late_payment_grace_days = 10", "late_payment_grace_days = 5")
                        .replace("letter_spacing_days = 10", "letter_spacing_days = 14"))
    assert changed.late_payment_grace_days == 5 and changed.letter_spacing_days == 14
    # A template that sits neither on the ladder nor among the event letters is refused.
    text = TEXT.replace('sls = "sls_sanction"', 'sls = "friendly_reminder"').replace(
        "\nfriendly_reminder = 1\n", "\n")
    with pytest.raises(PlanError, match="'friendly_reminder' is neither on the letter ladder"):
        load_text(tmp_path, text)
    with pytest.raises(PlanError, match="same_date_order must list step numbers"):
        load_text(tmp_path, TEXT.replace("same_date_order = [3, 2,", "same_date_order = [3, 3,"))
    with pytest.raises(PlanError, match="on the ladder or an event, not both"):
        load_text(tmp_path, TEXT.replace('event_letters = ["dd_reject",', 'event_letters = ["last_notice", "dd_reject",'))
    with pytest.raises(PlanError, match="letter_ladder: unknown letter 'bienvenue'"):
        load_text(tmp_path, TEXT.replace("\nnew_tenant = 1\n", "\nnew_tenant = 1\nbienvenue = 1\n"))
