"""The archetype catalogue: each archetype's count per 5 000 leases and the steps it is expected in."""

from __future__ import annotations

from arrears.demo.archetypes import (
    Archetype,
    _reject_builder,
    a_cleared_in_august,
    a_contentieux,
    a_dd_reject_md07,
    a_debt_1500_caf,
    a_debt_1500_caf_reported,
    a_debt_1500_convocation,
    a_debt_1500_no_contact,
    a_debt_1500_recent_contact,
    a_deceased_all,
    a_deceased_one_of_two,
    a_erased_in_place,
    a_first_arrears,
    a_in_place_credit,
    a_late_payer,
    a_litigation_alt_threshold,
    a_litigation_paid_down,
    a_litigation_protected,
    a_litigation_ready,
    a_litigation_sep_only,
    a_moratorium_breach,
    a_moratorium_respected,
    a_new_entrant,
    a_new_entrant_fragile,
    a_no_action,
    a_non_payer,
    a_normal,
    a_overindebtedness_breach,
    a_overindebtedness_respected,
    a_plan_breach_first,
    a_plan_breach_second,
    a_plan_respected,
    a_repeat_broken_plan,
    a_repeat_debtor,
    a_sls_sanction,
    a_small_balance,
    a_small_balance_deceased,
    a_small_balance_plan,
)
from arrears.demo.archetypes_departed import (
    _departed_builder,
    a_departed_contentieux,
    a_departed_credit,
    a_departed_credit_old,
    a_departed_erased,
    a_departed_settled,
    a_departed_writeoff_no_address,
    a_departed_writeoff_small,
    a_departed_written_off,
    a_future_lease,
    a_recovered_plan,
)


def _step(step: int, attr: str, member: bool = True) -> tuple[int, str, bool]:
    return (step, attr, member)


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype("small_balance", 120, a_small_balance, expect=(_step(1, "d1"),)),
    Archetype("small_balance_plan", 8, a_small_balance_plan, expect=(_step(1, "d1", False),)),
    Archetype("small_balance_deceased", 3, a_small_balance_deceased, expect=(_step(1, "d1"),)),
    Archetype("cleared_in_august", 40, a_cleared_in_august, expect=(_step(2, "d5"),)),
    Archetype("debt_1500_convocation", 25, a_debt_1500_convocation, expect=(_step(3, "d5"),)),
    Archetype("debt_1500_no_contact", 25, a_debt_1500_no_contact, expect=(_step(3, "d5"),)),
    Archetype("debt_1500_caf", 20, a_debt_1500_caf, expect=(_step(3, "d5"),)),
    Archetype("debt_1500_caf_reported", 10, a_debt_1500_caf_reported, expect=(_step(3, "d5"),)),
    Archetype("debt_1500_recent_contact", 20, a_debt_1500_recent_contact, expect=(_step(3, "d5"),)),
    Archetype("non_payer", 15, a_non_payer, expect=(_step(5, "d25"),)),
    Archetype("litigation_ready", 30, a_litigation_ready,
              expect=(_step(11, "prev_d25"), _step(11, "d25"), _step(6, "d1"))),
    Archetype("litigation_sep_only", 12, a_litigation_sep_only,
              expect=(_step(11, "prev_d25", False), _step(11, "d25"))),
    Archetype("litigation_paid_down", 10, a_litigation_paid_down,
              expect=(_step(11, "prev_d25"), _step(6, "d1", False))),
    Archetype("litigation_protected", 10, a_litigation_protected,
              expect=(_step(11, "prev_d25", False), _step(11, "d25", False))),
    Archetype("litigation_alt_threshold", 10, a_litigation_alt_threshold,
              expect=(_step(11, "prev_d25"), _step(11, "d25"))),
    Archetype("contentieux", 60, a_contentieux,
              expect=tuple(_step(s, a, False) for s, a in ((1, "d1"), (3, "d5"), (5, "d25"), (11, "d25")))),
    Archetype("new_entrant", 25, a_new_entrant, expect=(_step(7, "d10"),)),
    Archetype("new_entrant_fragile", 20, a_new_entrant_fragile, expect=(_step(7, "d10"),)),
    Archetype("repeat_debtor", 40, a_repeat_debtor, expect=(_step(8, "d20"),)),
    Archetype("repeat_broken_plan", 20, a_repeat_broken_plan, expect=(_step(8, "d20"),)),
    Archetype("plan_respected", 50, a_plan_respected, expect=(_step(4, "d15", False),)),
    Archetype("plan_breach_first", 15, a_plan_breach_first, expect=(_step(4, "d15"),)),
    Archetype("plan_breach_second", 15, a_plan_breach_second, expect=(_step(4, "d15"),)),
    Archetype("overindebtedness_respected", 20, a_overindebtedness_respected, expect=(_step(4, "d15", False),)),
    Archetype("overindebtedness_breach", 10, a_overindebtedness_breach, expect=(_step(4, "d15"),)),
    Archetype("moratorium_respected", 10, a_moratorium_respected, expect=(_step(4, "d15", False),)),
    Archetype("moratorium_breach", 10, a_moratorium_breach, expect=(_step(4, "d15"),)),
    Archetype("erased_in_place", 10, a_erased_in_place),
    Archetype("dd_reject_md07", 10, a_dd_reject_md07, expect=(_step(10, "d10"),)),
    Archetype("dd_reject_ac04", 12, _reject_builder("AC04"), expect=(_step(10, "d10"),)),
    Archetype("dd_reject_ac01", 10, _reject_builder("AC01"), expect=(_step(10, "d10"),)),
    Archetype("dd_reject_md01", 10, _reject_builder("MD01"), expect=(_step(10, "d10"),)),
    Archetype("dd_reject_am04", 20, _reject_builder("AM04"), expect=(_step(10, "d10"),)),
    Archetype("dd_reject_ms02", 10, _reject_builder("MS02", pays_after=False), expect=(_step(10, "d10"),)),
    Archetype("dd_reject_3_months", 12, _reject_builder("AM04", (-2, -1, 0)), expect=(_step(10, "d10"),)),
    Archetype("dd_reject_2_months", 12, _reject_builder("AM04", (-1, 0)), expect=(_step(10, "d10"),)),
    Archetype("late_payer", 100, a_late_payer, expect=(_step(9, "d25"),)),
    Archetype("sls_sanction", 20, a_sls_sanction, expect=(_step(12, "d15"),)),
    Archetype("no_action", 60, a_no_action, expect=(_step(5, "d25"),)),
    Archetype("first_arrears", 50, a_first_arrears),
    Archetype("deceased_all", 10, a_deceased_all),
    Archetype("deceased_one_of_two", 10, a_deceased_one_of_two),
    Archetype("in_place_credit", 40, a_in_place_credit, expect=(_step(13, "d1"),)),
    Archetype("departed_debt_rhone", 60, _departed_builder("rhone"), True, expect=(_step(15, "d1"),)),
    Archetype("departed_debt_outside", 30, _departed_builder("outside"), True, expect=(_step(15, "d1"),)),
    Archetype("departed_debt_abroad", 5, _departed_builder("abroad"), True, expect=(_step(15, "d1"),)),
    Archetype("departed_debt_no_address", 30, _departed_builder("none"), True, expect=(_step(15, "d1"),)),
    Archetype("departed_writeoff_small", 30, a_departed_writeoff_small, True,
              expect=(_step(14, "d1"), _step(15, "d1"))),
    Archetype("departed_writeoff_no_address", 20, a_departed_writeoff_no_address, True,
              expect=(_step(14, "d1"), _step(15, "d1"))),
    Archetype("departed_erased", 5, a_departed_erased, True, expect=(_step(14, "d1"), _step(15, "d1", False))),
    Archetype("departed_written_off", 15, a_departed_written_off, True,
              expect=(_step(14, "d1", False), _step(15, "d1", False))),
    Archetype("departed_contentieux", 10, a_departed_contentieux, True,
              expect=(_step(15, "d1", False),)),
    Archetype("departed_credit", 50, a_departed_credit, True, expect=(_step(13, "d1"),)),
    Archetype("departed_credit_old", 20, a_departed_credit_old, True, expect=(_step(13, "d1"),)),
    Archetype("departed_settled", 150, a_departed_settled, True),
    Archetype("recovered_plan", 40, a_recovered_plan),
    Archetype("future_lease", 3, a_future_lease),
)
NORMAL = Archetype("normal", 0, a_normal)
BY_NAME = {a.name: a for a in (*ARCHETYPES, NORMAL)}


def archetype_counts(leases: int) -> dict[str, int]:
    """How many leases of each archetype a portfolio of ``leases`` holds (the rest are ``normal``)."""
    counts = {a.name: max(1, round(a.per_5000 * leases / 5000)) for a in ARCHETYPES}
    while sum(counts.values()) > leases:  # tiny portfolios: trim the largest first
        largest = max(counts, key=lambda k: (counts[k], k))
        if counts[largest] == 0:
            break
        counts[largest] -= 1
    counts["normal"] = leases - sum(counts.values())
    return counts
