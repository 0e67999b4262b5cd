"""The plan file's ``[letters]`` table: help that scales with the debt and the convocation's appointment
(PLAN.md "Letters", revision 5). Read by ``arrears.config.plan.load_plan``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from arrears.decide.decision import PROFILES


def _type_name(kind) -> str:
    names = {int: "whole number", float: "number", str: "text", bool: "true/false", list: "list"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


# The [letters] table: help that scales with the debt and the convocation's appointment (PLAN.md "Letters",
# revision 5). name -> (type, default).
LETTER_SETTINGS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "plan_from_monthly_dues": ((int, float), 1),   # from one monthly due: a repayment plan is offered
    "fsl_from_monthly_dues": ((int, float), 2),    # from two monthly dues: the FSL and the social counsellor too
    "fsl_profiles": (list, ["P2", "P4"]),          # ... and for these profiles whatever the debt
    "appointment_minutes": (int, 30),              # a convocation's slot
    "appointment_min_days": (int, 7),              # business day from D + min to D + max days
    "appointment_max_days": (int, 14),
}


@dataclass(frozen=True)
class LetterSettings:
    """The [letters] table of the plan file."""

    plan_from_monthly_dues: float = 1
    fsl_from_monthly_dues: float = 2
    fsl_profiles: tuple[str, ...] = ("P2", "P4")
    appointment_minutes: int = 30
    appointment_min_days: int = 7
    appointment_max_days: int = 14

    def help_level(self, balance_cents: int, monthly_due_cents: int, profile: str | None) -> dict[str, bool]:
        """What a letter offers for this debt: ``plan`` (a repayment plan), ``fsl`` (the FSL and the social
        counsellor); below one monthly due, neither (the letter asks for payment and offers a call)."""
        due = max(0, monthly_due_cents)
        months = (balance_cents / due) if due else (float("inf") if balance_cents > 0 else 0)
        fsl = months >= self.fsl_from_monthly_dues or (profile in self.fsl_profiles and balance_cents > 0)
        return {"plan": months >= self.plan_from_monthly_dues, "fsl": fsl, "months": months}






def letter_settings(raw: dict, fail: Callable[[str, str], NoReturn]) -> LetterSettings:
    """Validate the [letters] table; ``fail(key, message)`` raises the plan file's error naming the line."""
    if not isinstance(raw, dict):
        fail("letters", "[letters] must be a table")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in LETTER_SETTINGS:
            fail(key, f"unknown setting {key!r} (known: {', '.join(LETTER_SETTINGS)})")
        kind, _default = LETTER_SETTINGS[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            fail(key, f"{key!r} must be a {_type_name(kind)}, not {value!r}")
        values[key] = value
    merged = {k: values.get(k, default) for k, (_kind, default) in LETTER_SETTINGS.items()}
    for key in ("plan_from_monthly_dues", "fsl_from_monthly_dues"):
        if merged[key] < 0:
            fail(key, f"{key} must not be negative")
    if merged["fsl_from_monthly_dues"] < merged["plan_from_monthly_dues"]:
        fail("fsl_from_monthly_dues", "fsl_from_monthly_dues must be at least plan_from_monthly_dues")
    bad = [p for p in merged["fsl_profiles"] if p not in PROFILES]
    if bad:
        fail("fsl_profiles", f"fsl_profiles: unknown profile {bad[0]!r} (known: {', '.join(PROFILES)})")
    if not 5 <= merged["appointment_minutes"] <= 240:
        fail("appointment_minutes", "appointment_minutes must be between 5 and 240")
    if not 0 <= merged["appointment_min_days"] <= merged["appointment_max_days"] <= 60:
        fail("appointment_max_days", "appointment days must satisfy 0 <= appointment_min_days <= "
                                     "appointment_max_days <= 60")
    return LetterSettings(
        plan_from_monthly_dues=merged["plan_from_monthly_dues"], fsl_from_monthly_dues=merged["fsl_from_monthly_dues"],
        fsl_profiles=tuple(merged["fsl_profiles"]), appointment_minutes=merged["appointment_minutes"],
        appointment_min_days=merged["appointment_min_days"], appointment_max_days=merged["appointment_max_days"])
