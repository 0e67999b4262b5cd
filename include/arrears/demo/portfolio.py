"""The demo portfolio: a synthetic social landlord of a Lyon-like metropolis, written as DATA.md CSV files.

    counts = write_demo_csv(Path("var/demo-csv"), leases=5000, seed=2025)      # file name -> rows
    figures = seed_demo(engine, leases=5000)                                     # write + import + figures

Same seed and size give byte-identical files. ``ledger``, ``leases`` and the other files are written in the
plain convention (``,``, UTF-8, ``*_cents``, ISO dates); ``tenants.csv`` and ``plans.csv`` in the French ERP
convention (``;``, Windows-1252, CRLF, ``*_eur`` with a decimal comma and no-break-space thousands,
``dd/mm/yyyy``, ``oui/non``), so a demo import exercises both conventions of the importer.

The portfolio
-------------
About 90 % in place and 10 % departed leases in 7 agencies (Lyon Centre, Lyon 8e-9e, Villeurbanne,
Vénissieux, Vaulx-en-Velin, Bron - Saint-Priest, Rillieux-la-Pape, with their real postcodes), recovery
officers, customer officers, social counsellors (CESF) and a manager per agency, litigation officers at
head office (staff of AG01). Rents 300-800 €, charges 50-200 €, housing benefit for about half of the
households (mostly paid to the landlord, tiers payant, and then credited on the quittance on the 1st),
incomes, ~40 % direct debit. Rent and charges fall due on the 1st (``due_on`` = ``posted_on`` = the 1st).
History runs from 1 January of the year that holds the month 20 months before ``as_of`` (2024-01-01 for
the default ``as_of``) to ``as_of``; older debts and credits arrive as an opening ``adjustment`` that day.
Ledger: one row per rent, charges, benefit and payment a month, plus what an archetype needs.

"On time" means what DATA.md says: paid on or before the due date (direct debit on the 1st, transfers a few
days before the 1st); a tenant paying on the 5th is "late" in DATA.md's sense, so late-paying ordinary
tenants never carry a residual debt (they would belong to step 9).

Archetypes (counts per 5 000 leases, each at least 1, scaled with the size; the dates are those of a
September run, and every date is computed from ``as_of``'s month, moved to business days):

- ``normal`` — everybody else: pays on time (DD on the 1st, or a transfer in advance) or a few days after
  the 1st; some had one short episode in the past, an old direct-debit reject paid again, an answered SLS.
- ``small_balance`` (step 1, Mon 1 Sep) — pays on time but left a charges regularisation of 2-95 € unpaid:
  0 < balance < 100 € on the 1st, no plan. ``small_balance_plan``: the same below 100 € but with an active
  plan (out of step 1). ``small_balance_deceased``: the sole holder has died (succession task).
- ``cleared_in_august`` (step 2, Fri 5 Sep) — owed 1-3 months at 31 Aug, cleared everything on 2-4 Sep (a
  lump sum, an FSL grant, a transfer after an August direct-debit reject, or the rest of an active plan).
- ``debt_1500_*`` (step 3, Fri 5 Sep) — balance ≥ 1 500 €: ``convocation`` (a convocation 16-30 days old,
  no-show, nothing since: formal notice), ``no_contact`` (nothing for more than 30 days: convocation),
  ``caf`` (housing benefit, debt ≥ 2 × monthly due, no ``caf_report``: CAF task), ``caf_reported`` (the
  report exists), ``recent_contact`` (a promise a few days ago). Some carry an employer's phone.
- ``non_payer`` (profile 3) — no payment for 4-7 months, effort rate ≤ 25 %, no social support, calls
  unanswered and a convocation missed.
- ``litigation_ready`` (step 11 on Mon 25 Aug AND Thu 25 Sep, so step 6 on Mon 1 Sep) — balance ≥ 3 ×
  monthly due, a formal notice in Jun-10 Aug after the arrears start, no respected plan, not protected;
  variants: a broken plan, an active plan not respected, an AC04-rejected mandate still active, housing
  benefit without CAF report, a social referral. ``litigation_sep_only`` (formal notice 11 Aug-10 Sep:
  step 11 in September only), ``litigation_paid_down`` (qualified on 25 Aug, paid everything on 28 Aug:
  out of step 6), ``litigation_protected`` (an overindebtedness plan or moratorium since July: out of step
  11), ``litigation_alt_threshold`` (pays 75 % of the due every month since January: below 3 × due but
  ≥ 500 € and arrears start ≥ 90 days old).
- ``contentieux`` — stage ``contentieux`` (out of steps 1-12), transferred in 2024-2025, some with an
  active court plan; ``departed_contentieux`` the same after departure (out of step 15).
- ``new_entrant`` / ``new_entrant_fragile`` (step 7, Wed 10 Sep) — start_on ≥ D − 12 months (the first
  one exactly on it), unpaid since a month ≤ August (arrears age > 15 days); fragile: effort rate > 35 %.
- ``repeat_debtor`` (step 8, Mon 22 Sep) — two or three one-month episodes closed in the 12-month window
  and a new debt since August; ``repeat_broken_plan`` — an amicable plan broken in the last 24 months and a
  balance > 0.
- ``plan_respected`` (out of step 4; some pay on the 12th, inside the 10-day grace), ``plan_breach_first``
  (respected on 15 Aug, not on 15 Sep), ``plan_breach_second`` (not respected on 15 Aug nor 15 Sep),
  ``overindebtedness_respected`` / ``overindebtedness_breach``, ``moratorium_respected`` /
  ``moratorium_breach`` (no instalments: the current rent must be paid) — step 4 on Mon 15 Sep;
  overindebtedness plans and moratoria protect.
- ``erased_in_place`` — a personal recovery procedure erased the debt (plan ``erased`` + ``write_off``).
- ``dd_reject_md07`` (holder deceased; some couples with one holder deceased), ``dd_reject_ac04``,
  ``_ac01``, ``_md01``, ``_am04`` (two of them debited on the 10th, rejected in August), ``_ms02``,
  ``dd_reject_3_months`` (rejects in Jul, Aug and Sep), ``dd_reject_2_months`` (Aug and Sep) — step 10
  on Wed 10 Sep (rejects in (10 Aug, 10 Sep]).
- ``late_payer`` (step 9, Thu 25 Sep) — pays the whole due on the 20th-28th every month, September's after
  the 25th: 0 < balance ≤ monthly due, 6 late months of 6.
- ``sls_sanction`` (step 12, Mon 15 Sep) — SLS survey not returned: a provisional SLS billed monthly since
  a few months and left unpaid.
- ``no_action`` (step 5, Thu 25 Sep) — 1-3 months missed in the spring, paying the current due since,
  no action for more than 30 days (or never). ``first_arrears`` — paid until July, nothing since August
  (profile 4); half were called in September.
- ``deceased_all`` — every holder deceased, payments stopped; ``deceased_one_of_two`` — a couple, one
  holder deceased, payments halved.
- ``in_place_credit`` (step 13) — a CAF back-payment, a charges refund or a double payment: credit > one
  monthly due.
- ``departed_debt_rhone`` / ``_outside`` (another département, one 974) / ``_abroad`` /
  ``_no_address`` (step 15) — left in the last 14 months with debts; ``departed_writeoff_small`` (left
  > 12 months ago, < 300 €, no payment in 6 months) and ``departed_writeoff_no_address`` (step 14 and 15);
  ``departed_erased`` (debt erased by a PRP, some arrears after it: step 14, not 15); ``departed_written_off``
  (written off: balance 0); ``departed_credit`` (deposit larger than what was owed: step 13);
  ``departed_credit_old`` (left more than 3 years ago with a credit: "produits exceptionnels");
  ``departed_settled`` (balance 0).
- ``recovered_plan`` — an amicable plan completed in early 2025, nothing owed.
- ``future_lease`` — signed, starting the day after ``as_of``: in no cohort.

Addresses: ``address_line1`` = number and street, ``address_line2`` = apartment/staircase/floor,
``address_line3`` = building and residence (NF Z10-011 order: name, line 2, line 3, line 1, postcode town).
Social supports by the lease's counsellor (domains, ~20 % reinforced, 85-95 % qualified by agency).
Nothing printed or logged names a person.
"""


from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from arrears.core.calendar import add_months
from arrears.demo import words as W
from arrears.demo.builder import (
    DEFAULT_AS_OF,
    Builder,
    DemoCalendar,
    LeaseDraft,
)
from arrears.demo.catalogue import BY_NAME, archetype_counts
from arrears.demo.people import (
    _base_lease,
    _email,
)

# --------------------------------------------------------------------------------------------------
# The portfolio
# --------------------------------------------------------------------------------------------------


@dataclass
class Portfolio:
    calendar: DemoCalendar
    agencies: list[dict[str, Any]]
    staff: list[dict[str, Any]]
    counts: dict[str, int]
    leases: Iterator[LeaseDraft]


def _staff_for(r: random.Random, agency_leases: dict[str, int]) -> tuple[list[dict[str, Any]], dict]:
    rows: list[dict[str, Any]] = []
    by_agency: dict[str, dict[str, list[str]]] = {}
    used: set[tuple[str, str]] = set()

    def person(agency_id: str, role: str, code: str, n: int) -> str:
        while True:
            sex = r.choice("FM")
            first = r.choice(W.FIRST_NAMES_F if sex == "F" else W.FIRST_NAMES_M)
            last = r.choice(W.LAST_NAMES[:110])
            if (first, last) not in used:
                used.add((first, last))
                break
        staff_id = f"{agency_id}-{code}{n}"
        rows.append({"staff_id": staff_id, "agency_id": agency_id, "role": role, "first_name": first,
                     "last_name": last, "phone": f"04 65 71 {r.randint(20, 99)} {r.randint(0, 99):02d}",
                     "email": _email(random.Random(staff_id), first, last).split("@")[0] + "@bailleur-demo.example"})
        by_agency.setdefault(agency_id, {}).setdefault(role, []).append(staff_id)
        return staff_id

    for agency in W.AGENCIES:
        agency_id = agency[0]
        n = agency_leases.get(agency_id, 0)
        for role, code, per in (("manager", "DIR", 10**9), ("recovery_officer", "CR", 700),
                                ("customer_officer", "CC", 2000), ("social_counsellor", "CESF", 1500)):
            for k in range(1, max(1, round(n / per)) + 1):
                person(agency_id, role, code, k)
    total = sum(agency_leases.values())
    for k in range(1, max(1, round(total / 12000)) + 2):
        person("AG01", "litigation_officer", "CTX", k)
    return rows, by_agency


def generate(leases: int = 5000, seed: int = 2025, as_of: dt.date = DEFAULT_AS_OF) -> Portfolio:
    """The demo portfolio as drafts (leases are produced lazily, one at a time)."""
    if leases < 1:
        raise ValueError("leases must be at least 1")
    cal = DemoCalendar.for_as_of(as_of)
    master = random.Random(f"arrears-demo:{seed}")
    counts = archetype_counts(leases)
    names = [name for name, n in counts.items() for _ in range(n)]
    master.shuffle(names)
    weights = [a[6] for a in W.AGENCIES]
    agency_of = master.choices(range(len(W.AGENCIES)), weights, k=leases)
    for k in range(min(leases, len(W.AGENCIES))):  # every agency has leases, even in tiny portfolios
        agency_of[k] = k
    per_agency = Counter(W.AGENCIES[k][0] for k in agency_of)
    staff_rows, staff = _staff_for(random.Random(f"arrears-demo-staff:{seed}"), per_agency)
    litigation = staff["AG01"]["litigation_officer"]
    agencies = [{"agency_id": a[0], "name": a[1], "address_line1": a[2], "address_line2": None,
                 "postcode": a[3], "city": a[4], "phone": a[5],
                 "email": f"agence.{a[0].lower()}@bailleur-demo.example"} for a in W.AGENCIES]

    def drafts() -> Iterator[LeaseDraft]:
        seen: Counter = Counter()
        for index, name in enumerate(names):
            r = random.Random(f"arrears-demo:{seed}:{index}")
            lease_id = f"L-{index + 1:06d}"
            draft, builder = _base_lease(r, cal, lease_id, W.AGENCIES[agency_of[index]], name, staff)
            archetype = BY_NAME[name]
            archetype.build(builder, seen[name])
            seen[name] += 1
            if draft.stage == "contentieux":
                draft.officer_id = r.choice(litigation)
            _add_supports(builder, name)
            _finish(draft, cal)
            yield draft

    return Portfolio(cal, agencies, staff_rows, counts, drafts())


_SUPPORT_DEBT = ("budget", "budget", "access_to_rights", "housing_pathway", "health")
_SUPPORT_OTHER = ("neighbourhood", "health", "ageing", "ageing", "access_to_rights", "other", "housing_pathway")


def _add_supports(b: Builder, name: str) -> None:
    r, c = b.r, b.c
    if name in ("non_payer", "future_lease") or name.startswith("departed"):
        return
    rate = W.QUALIFIED_RATE[b.d.agency_id]
    in_debt = b.d.balance(c.as_of) > 0
    p = 0.3 if in_debt else 0.04
    if name.startswith("deceased"):
        p = 0.5
    if r.random() < p and not b.d.supports:
        domains = _SUPPORT_DEBT if in_debt else _SUPPORT_OTHER
        when = b.day_in(c.m(-r.randint(0, 14)), 1, 28)
        b.support(min(when, c.as_of), r.choice(domains), rate)
        if r.random() < 0.3:
            b.support(min(add_months(when, 2), c.as_of), r.choice(domains), rate)


def _finish(d: LeaseDraft, cal: DemoCalendar) -> None:
    """Keep what happened by ``as_of``; order rows by date; number the plans."""
    kept = []
    for entry in d.entries:
        posted, due, _kind, amount, _label = entry
        if posted <= cal.as_of and (amount < 0 or (due or posted) <= cal.as_of):
            kept.append(entry)
    order = {"rent": 0, "charges": 1, "sls": 2, "benefit": 3}
    kept.sort(key=lambda e: (e[0], order.get(e[2], 9)))
    d.entries = kept
    d.plans = [p for p in d.plans if p.agreed_on <= cal.as_of]
    for k, plan in enumerate(d.plans, 1):
        plan.plan_id = f"PA-{d.lease_id[2:]}-{k}"
    d.rejects = sorted(r for r in d.rejects if r[0] <= cal.as_of)
    d.actions = sorted((a for a in d.actions if a[0] <= cal.as_of), key=lambda a: (a[0], a[1]))
    d.supports = sorted(s for s in d.supports if s[0] <= cal.as_of)
