"""The tables of DATA.md as the importer reads them: columns, kinds, keys and parents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arrears.core import models as m

# --------------------------------------------------------------------------------------------------
# The tables of DATA.md, as the importer reads them
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    name: str
    kind: str = "str"  # str | date | money | bool | enum
    required: bool = False
    choices: tuple[str, ...] = ()
    ref: str | None = None  # parent table this column must name a row of
    default: Any = None  # stored when the cell is empty (or the optional column is absent)
    non_negative: bool = False  # a money column that cannot be below 0 (rent, charges, benefit, income)


@dataclass(frozen=True)
class TableSpec:
    table: str
    key: tuple[str, ...]
    columns: tuple[Col, ...]

    @property
    def file_name(self) -> str:
        return f"{self.table}.csv"


def _req(name: str, kind: str = "str", **kw) -> Col:
    return Col(name, kind, required=True, **kw)


def _enum(name: str, choices: tuple[str, ...], required: bool = True, default: Any = None) -> Col:
    return Col(name, "enum", required=required, choices=choices, default=default)


TABLES: tuple[TableSpec, ...] = (
    TableSpec("agencies", ("agency_id",), (
        _req("agency_id"), _req("name"), _req("address_line1"), Col("address_line2"), _req("postcode"),
        _req("city"), Col("phone"), Col("email"),
    )),
    TableSpec("staff", ("staff_id",), (
        _req("staff_id"), _req("agency_id", ref="agencies"), _enum("role", m.STAFF_ROLES),
        _req("first_name"), _req("last_name"), Col("phone"), Col("email"),
    )),
    TableSpec("leases", ("lease_id",), (
        _req("lease_id"), _req("agency_id", ref="agencies"), _req("officer_id", ref="staff"),
        Col("counsellor_id", ref="staff"), _req("start_on", "date"), Col("end_on", "date"),
        _enum("stage", m.STAGES), _req("address_line1"), Col("address_line2"), Col("address_line3"),
        _req("postcode"), _req("city"), _req("rent_cents", "money", non_negative=True),
        _req("charges_cents", "money", non_negative=True),
        Col("benefit_cents", "money", default=0, non_negative=True),
        Col("benefit_to_landlord", "bool", default=False),
        _enum("payment_method", m.PAYMENT_METHODS), Col("mandate_active", "bool", default=False),
        Col("income_cents", "money", non_negative=True),
        _enum("sls_status", m.SLS_STATUSES, required=False, default="none"),
        Col("forwarding_address_line1"), Col("forwarding_address_line2"), Col("forwarding_postcode"),
        Col("forwarding_city"), Col("forwarding_country"),
    )),
    TableSpec("tenants", ("tenant_id",), (
        _req("tenant_id"), _req("lease_id", ref="leases"), _req("is_holder", "bool", default=False),
        Col("civility"), _req("first_name"), _req("last_name"), Col("phone_mobile"), Col("phone_home"),
        Col("phone_work"), Col("email"), Col("is_deceased", "bool", default=False),
    )),
    TableSpec("ledger", ("entry_id",), (
        _req("entry_id"), _req("lease_id", ref="leases"), _req("posted_on", "date"), Col("due_on", "date"),
        _enum("kind", m.LEDGER_KINDS), _req("amount_cents", "money"), Col("label"),
    )),
    TableSpec("plans", ("plan_id",), (
        _req("plan_id"), _req("lease_id", ref="leases"), _enum("kind", m.PLAN_KINDS),
        _req("agreed_on", "date"), _req("debt_cents", "money"), _enum("status", m.PLAN_STATUSES),
        Col("closed_on", "date"),
    )),
    TableSpec("plan_installments", ("plan_id", "due_on"), (
        _req("plan_id", ref="plans"), _req("due_on", "date"), _req("amount_cents", "money"),
    )),
    TableSpec("dd_rejects", ("reject_id",), (
        _req("reject_id"), _req("lease_id", ref="leases"), _req("rejected_on", "date"),
        _req("amount_cents", "money"), _req("reason_code"),
    )),
    TableSpec("actions", ("action_id",), (
        _req("action_id"), _req("lease_id", ref="leases"), _req("done_on", "date"),
        _enum("kind", m.ACTION_KINDS), Col("outcome"), Col("staff_id"), Col("comment"),
    )),
    TableSpec("social_supports", ("support_id",), (
        _req("support_id"), _req("lease_id", ref="leases"), _req("counsellor_id"),
        _req("supported_on", "date"), _enum("domain", m.SUPPORT_DOMAINS),
        Col("is_reinforced", "bool", default=False), Col("is_qualified", "bool", default=False),
    )),
)
SPECS = {spec.table: spec for spec in TABLES}
PARENT_TABLES = ("agencies", "staff", "leases", "plans")
_NOUN = {"agencies": "agency", "staff": "staff", "leases": "lease", "plans": "plan"}
