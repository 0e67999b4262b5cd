"""Registered numbers: each label used once, the same number for the same letter, safe under concurrency."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from arrears.config.landlord import RegisteredRangeConfig, load_landlord
from arrears.documents.registered import (
    RegisteredRangeError,
    allocate,
    ensure_ranges,
    format_number,
    is_valid_number,
    luhn_digit,
)
from sqlalchemy import text


def landlord_with(*ranges):
    return replace(load_landlord(), ranges=tuple(ranges))


SMALL = RegisteredRangeConfig("R-TEST", "1A", 1000000000, 1000000002, "R1")


def test_number_format_and_check_digit():
    number = format_number("1A", 1000000000)
    assert len(number) == 13 and number.startswith("1A1000000000")
    assert luhn_digit("7992739871") == "3"  # the textbook Luhn example: 79927398713
    assert is_valid_number(number)
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not is_valid_number(wrong)


def test_allocate_once_and_reuse(engine):
    landlord = landlord_with(SMALL)
    with engine.connect() as conn:
        assert ensure_ranges(conn, landlord) == 1
        conn.commit()
        first = allocate(conn, "L1", 3, "2025-09", "DOC1")
        again = allocate(conn, "L1", 3, "2025-09", "DOC1")
        other = allocate(conn, "L2", 3, "2025-09", "DOC2")
        next_month = allocate(conn, "L1", 3, "2025-10", "DOC3")
    assert first == again
    assert len({first, other, next_month}) == 3
    assert first == format_number("1A", 1000000000)
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from registered_numbers")).scalar() == 3
        assert conn.execute(text("select next_serial from registered_ranges")).scalar() == 1000000003


def test_exhausted_range_is_a_clear_error(engine):
    landlord = landlord_with(SMALL)
    with engine.connect() as conn:
        ensure_ranges(conn, landlord)
        conn.commit()
        for i in range(3):
            allocate(conn, f"L{i}", 3, "2025-09")
        with pytest.raises(RegisteredRangeError, match="R-TEST is exhausted"):
            allocate(conn, "L9", 3, "2025-09")
        # the letter already numbered still gets its number
        assert allocate(conn, "L0", 3, "2025-09") == format_number("1A", 1000000000)


def test_next_range_is_used_when_the_first_is_exhausted(engine):
    second = RegisteredRangeConfig("R-TEST-2", "1A", 2000000000, 2000000009, "R1")
    with engine.connect() as conn:
        ensure_ranges(conn, landlord_with(SMALL, second))
        conn.commit()
        numbers = [allocate(conn, f"L{i}", 3, "2025-09") for i in range(4)]
    assert numbers[3] == format_number("1A", 2000000000)


def test_ensure_ranges_keeps_used_serials(engine):
    with engine.connect() as conn:
        ensure_ranges(conn, landlord_with(SMALL))
        conn.commit()
        allocate(conn, "L1", 3, "2025-09")
        bigger = replace(SMALL, last_serial=1000000010)
        assert ensure_ranges(conn, landlord_with(bigger)) == 0
        conn.commit()
        assert conn.execute(text("select next_serial, last_serial from registered_ranges")).one() == (
            1000000001, 1000000010)


def test_concurrent_allocators_never_share_a_number(engine):
    big = RegisteredRangeConfig("R-BIG", "1A", 3000000000, 3000009999, "R1")
    with engine.connect() as conn:
        ensure_ranges(conn, landlord_with(big))
        conn.commit()
    results: dict[str, list[str]] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            with engine.connect() as conn:
                # both threads number the same 15 letters (a re-run racing a run) plus 15 of their own
                results[name] = [allocate(conn, f"SHARED{i}", 3, "2025-09") for i in range(15)]
                results[name] += [allocate(conn, f"{name}{i}", 3, "2025-09") for i in range(15)]
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert results["A"][:15] == results["B"][:15]          # the same letter, the same number
    own = results["A"][15:] + results["B"][15:]
    assert len(set(own) | set(results["A"][:15])) == 45     # never one number for two letters
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from registered_numbers")).scalar() == 45
