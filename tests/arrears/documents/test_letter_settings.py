"""The letters' settings: [letters] in the plan file, reception hours, e-mail domain and the data-protection
notice in the landlord file — validated on load, an error naming the key."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest
from arrears.config.landlord import DEFAULT_PATH, LandlordError, load_landlord, parse_landlord
from arrears.config.plan import DEFAULT_PLAN_PATH, PlanError, load_plan


def plan_with(tmp_path, letters_table: str):
    text = DEFAULT_PLAN_PATH.read_text(encoding="utf-8")
    start = text.index("[letters]")
    end = text.index("\n\n", start)
    path = tmp_path / "plan.toml"
    path.write_text(text[:start] + letters_table + text[end:], encoding="utf-8")
    return path


def test_help_levels_at_half_one_and_a_half_and_three_monthly_dues():
    settings = load_plan().letters
    due = 600_00
    assert settings.help_level(300_00, due, "P0") == {"plan": False, "fsl": False, "months": 0.5}
    assert settings.help_level(900_00, due, "P0") == {"plan": True, "fsl": False, "months": 1.5}
    assert settings.help_level(1800_00, due, "P0") == {"plan": True, "fsl": True, "months": 3.0}
    assert settings.help_level(300_00, due, "P2")["fsl"] is True           # profile 2: FSL whatever the debt
    assert settings.help_level(300_00, due, "P2")["plan"] is False
    assert settings.help_level(300_00, due, "P4")["fsl"] is True


@pytest.mark.parametrize(("table", "message"), [
    ("[letters]\nplan_from_monthly_dues = 1\nfsl_from_monthly_dus = 2", "unknown setting 'fsl_from_monthly_dus'"),
    ("[letters]\nplan_from_monthly_dues = 3\nfsl_from_monthly_dues = 2", "at least plan_from_monthly_dues"),
    ("[letters]\nfsl_profiles = [\"P9\"]", "unknown profile 'P9'"),
    ("[letters]\nappointment_min_days = 15", "appointment days"),
    ("[letters]\nappointment_minutes = \"30\"", "must be a whole number"),
])
def test_bad_letters_settings_are_refused_with_their_line(tmp_path, table, message):
    with pytest.raises(PlanError, match="line") as err:
        load_plan(plan_with(tmp_path, table))
    assert message in str(err.value)


def landlord_data() -> dict:
    with open(DEFAULT_PATH, "rb") as fh:
        return tomllib.load(fh)


def test_reception_hours_are_printed_from_the_structured_table():
    landlord = load_landlord()
    assert landlord.reception_hours_text() == ("du lundi au vendredi, de 8\u00a0h\u00a030 à 12\u00a0h et de "
                                               "13\u00a0h\u00a030 à 17\u00a0h")
    data = landlord_data()
    data["reception"]["agencies"] = {"A9": {"monday": ["09:00-12:00"], "tuesday": ["09:00-12:00"],
                                            "thursday": ["14:00-18:00"]}}
    other = parse_landlord(data)
    assert other.reception_hours_text("A9") == ("le lundi et le mardi, de 9\u00a0h à 12\u00a0h ; le jeudi, de "
                                                "14\u00a0h à 18\u00a0h")
    assert other.hours_of("A9")[3] == ((dt.time(14), dt.time(18)),)
    assert other.hours_of("A1") == landlord.reception   # an agency without its own table: the landlord's hours


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["reception"].update(monday=["12:00-08:30"]), "reception.monday"),
    (lambda d: d["reception"].update(funday=["08:00-12:00"]), "reception.funday: not a weekday"),
    (lambda d: d["landlord"].update(email_domain="not a domain"), "landlord.email_domain"),
    (lambda d: d["landlord"].update(email="contact@elsewhere.example"), "is not on landlord.email_domain"),
    (lambda d: d["data_protection"].update(notice="Vos données sont protégées."), "CNIL"),
    (lambda d: d.pop("data_protection"), "data_protection.notice: missing"),
])
def test_bad_landlord_letter_settings_name_the_key(change, message):
    data = landlord_data()
    change(data)
    with pytest.raises(LandlordError) as err:
        parse_landlord(data)
    assert message in str(err.value)
