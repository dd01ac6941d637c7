"""A joint account's results belong half to each spouse unless the household says otherwise
(``accounts[].taxpayer_share``): the carryforward by person follows that share (tax-rules.md
§4.4; Treas. Reg. §1.1212-1(c)(1)(iii))."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taxlogic.rules.cases import CaseError, parse_case
from tests.taxlogic.test_whole_return import _joint_case, run


def _with_share(case: dict, share: str) -> dict:
    for account in case["accounts"]:
        if account["id"] == "J":
            account["taxpayer_share"] = share
    return case


def test_the_taxpayers_share_of_a_joint_account_moves_the_carryforward_by_person() -> None:
    # Own loss 20,000 (P1), joint loss 10,000 at 80/20, P2's long-term 5,000 in: the
    # short-term 27,000 left after the 3,000 deduction goes 28,000 : 2,000.
    carry = run(_with_share(_joint_case(20000, 10000, 5000), "0.8"))["summary"]["carryforward_out"]
    assert (carry["short_term"], carry["long_term"]) == ("27000.00", "5000.00")
    assert carry["by_person"] == {
        "P1": {"short_term": "25200.00", "long_term": "0.00"},
        "P2": {"short_term": "1800.00", "long_term": "5000.00"},
    }


def test_half_is_the_default() -> None:
    plain = run(_joint_case(20000, 10000, 5000))["summary"]["carryforward_out"]
    half = run(_with_share(_joint_case(20000, 10000, 5000), "0.5"))["summary"]["carryforward_out"]
    assert plain == half


@pytest.mark.parametrize("share", ["1.2", "-0.1", "half"])
def test_a_share_outside_zero_to_one_is_refused(share: str) -> None:
    with pytest.raises(CaseError) as error:
        parse_case(_with_share(_joint_case(1000, 1000, 0), share))
    assert error.value.path == "accounts[1].taxpayer_share"


def test_only_a_joint_account_takes_a_share() -> None:
    case = _joint_case(1000, 1000, 0)
    case["accounts"][0]["taxpayer_share"] = "0.5"
    with pytest.raises(CaseError) as error:
        parse_case(case)
    assert error.value.path == "accounts[0].taxpayer_share"


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 40000), st.integers(0, 40000), st.integers(0, 100))
def test_shares_still_add_up_to_the_households(own: int, joint: int, percent: int) -> None:
    case = _with_share(_joint_case(own, joint, 2000), f"{Decimal(percent) / 100}")
    carry = run(case)["summary"]["carryforward_out"]
    for term in ("short_term", "long_term"):
        total = sum(Decimal(v[term]) for v in carry["by_person"].values())
        assert total == Decimal(carry[term])
