"""What a step writes, read from the plan file: each step's ``documents`` list, name → writer.

- ``letter``: the letters of the decisions that carry one (``render_documents``); the plan file checks
  that a step lists ``letter`` exactly when it has letter templates.
- ``worklist``: the officers' worklists of the tasks the decisions carry (``write_worklists``). A
  cross-step rule (a deceased holder, a CAF report) can give any step a task, and a task must reach its
  officer: the worklists of tasks are written whatever the list says.
- one file per lease of the run (:data:`LEASE_FILES`): ``transfer_file`` (step 6), ``write_off_form``
  (step 14);
- one list of the whole run for another service (:data:`RUN_LISTS`): ``handover_list`` (step 6 → the
  litigation service);
- documents with a writer of their own in the pipeline (:data:`OWN_WRITERS`): ``review_pack`` (step 11, one
  per agency for the litigation meeting), ``accounting_list`` (step 14, once the manager has answered).

A new document is one entry here (``register_lease_file`` / ``register_run_list``) and its name in the
step's ``documents`` in ``include/plan.toml`` (and in ``arrears.config.plan.KNOWN_DOCUMENTS``).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

log = logging.getLogger(__name__)

BUILT_IN = ("letter", "worklist")


@dataclass(frozen=True)
class LeaseFile:
    """One file per lease: ``writer(conn, decision, folder)`` (``module:function``) into ``folder``."""

    folder: str
    writer: str

    def load(self) -> Callable:
        module, _, name = self.writer.partition(":")
        return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class RunList:
    """One list of every decision of the run (XLSX + PDF, ``documents.worklists.write_worklists``)."""

    title: str
    file_prefix: str


LEASE_FILES: dict[str, LeaseFile] = {
    "transfer_file": LeaseFile("transfer_files", "arrears.documents.transfer:write_transfer_file"),
    "write_off_form": LeaseFile("write_off_forms", "arrears.documents.write_off:write_off_form"),
}
RUN_LISTS: dict[str, RunList] = {
    "handover_list": RunList("Liste de transmission au service contentieux", "handover_list"),
}
# Written by a pipeline function of their own, which reads the step's ``documents`` itself:
# ``run_files.write_review_packs`` (review_pack) and ``run_files.write_accounting_list`` (accounting_list).
OWN_WRITERS = ("review_pack", "accounting_list")


def register_lease_file(name: str, folder: str, writer: str) -> None:
    LEASE_FILES[name] = LeaseFile(folder, writer)


def register_run_list(name: str, title: str, file_prefix: str) -> None:
    RUN_LISTS[name] = RunList(title, file_prefix)


def _known(documents: Iterable[str]) -> list[str]:
    names = []
    for name in documents:
        if name in BUILT_IN or name in LEASE_FILES or name in RUN_LISTS or name in OWN_WRITERS:
            names.append(name)
        else:
            log.warning("document %r of the plan file has no writer yet: not written", name)
    return names


def lease_files(documents: Iterable[str]) -> list[tuple[str, LeaseFile]]:
    """The per-lease files of a step's ``documents``, in the plan file's order."""
    return [(name, LEASE_FILES[name]) for name in _known(documents) if name in LEASE_FILES]


def run_lists(documents: Iterable[str]) -> list[tuple[str, RunList]]:
    """The whole-run lists of a step's ``documents``, in the plan file's order."""
    return [(name, RUN_LISTS[name]) for name in _known(documents) if name in RUN_LISTS]
