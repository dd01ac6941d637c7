"""Schedule D netting, the §1211(b) limit and the Capital Loss Carryover Worksheet, by example."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taxlogic.rules.carryforward import ScheduleD, schedule_d
from taxlogic.rules.reasons import Reason
from taxlogic.rules.tax_tables import FILING_STATUSES, capital_loss_limit

D = Decimal


def sd(
    st_: str = "0",
    lt: str = "0",
    *,
    cf_st: str = "0",
    cf_lt: str = "0",
    status: str = "single",
    income: str | None = None,
) -> ScheduleD:
    return schedule_d(
        short_term_results=D(st_),
        long_term_results=D(lt),
        carryforward_in_short=D(cf_st),
        carryforward_in_long=D(cf_lt),
        filing_status=status,
        taxable_income_before_capital=None if income is None else D(income),
    )


def codes(result: ScheduleD) -> list[str]:
    return [r.code for r in result.reasons]


def test_net_loss_under_the_limit() -> None:
    r = sd("-1200")
    assert (r.short_term, r.long_term, r.net) == (D(-1200), D(0), D(-1200))
    assert r.deduction == D(1200)
    assert (r.carryforward_short, r.carryforward_long) == (D(0), D(0))
    assert r.worksheet == {2: D(1200), 4: D(1200), 5: D(1200), 6: D(0), 7: D(1200), 8: D(0)}
    assert "loss_deducted_in_full" in codes(r)
    assert "no_carryforward" in codes(r)


def test_net_loss_over_the_limit_both_characters() -> None:
    # Short-term loss is used first; what is left of the $3,000 reduces the long-term loss.
    r = sd("-2000", "-6000")
    assert r.net == D(-8000)
    assert r.deduction == D(3000)
    assert r.carryforward_short == D(0)
    assert r.carryforward_long == D(5000)
    assert r.worksheet[5] == D(2000)
    assert r.worksheet[8] == D(0)
    assert r.worksheet[11] == D(1000)
    assert r.worksheet[13] == D(5000)
    assert "loss_limit" in codes(r)
    assert "deduction_uses_short_term_first" in codes(r)
    loss_limit = next(x for x in r.reasons if x.code == "loss_limit")
    assert "$3,000 limit" in loss_limit.text
    assert "§1211(b)" in loss_limit.rule


def test_married_separate_limit_is_1500() -> None:
    r = sd("-5000", status="married_separate")
    assert r.deduction == D(1500)
    assert r.carryforward_short == D(3500)
    text = next(x for x in r.reasons if x.code == "loss_limit").text
    assert "$1,500 limit for married filing separately" in text


def test_surviving_spouse_limit_is_3000() -> None:
    assert sd("-5000", status="surviving_spouse").deduction == D(3000)


def test_short_term_only() -> None:
    r = sd("-10000")
    assert r.deduction == D(3000)
    assert (r.carryforward_short, r.carryforward_long) == (D(7000), D(0))
    assert 9 not in r.worksheet  # line 15 is not a loss: lines 9-13 skipped


def test_long_term_only() -> None:
    r = sd("0", "-10000")
    assert r.deduction == D(3000)
    assert (r.carryforward_short, r.carryforward_long) == (D(0), D(7000))
    # Line 7 is not a loss: line 5 is 0 and lines 6-8 are skipped.
    assert r.worksheet[5] == D(0)
    assert 6 not in r.worksheet and 8 not in r.worksheet
    assert r.worksheet[11] == D(3000)


def test_tv19a_long_term_gain_absorbs_short_term_loss() -> None:
    r = sd("-9000", "4000")
    assert r.to_json() == {
        "short_term": "-9000.00",
        "long_term": "4000.00",
        "net": "-5000.00",
        "deduction": "3000.00",
        "carryforward_out": {"short_term": "2000.00", "long_term": "0.00"},
    }
    assert r.worksheet == {
        2: D(3000),
        4: D(3000),
        5: D(9000),
        6: D(4000),
        7: D(7000),
        8: D(2000),
    }
    assert "gain_absorbs_other_character" in codes(r)


def test_short_term_gain_absorbs_long_term_loss() -> None:
    r = sd("4000", "-9000")
    assert r.deduction == D(3000)
    assert (r.carryforward_short, r.carryforward_long) == (D(0), D(2000))
    assert r.worksheet[10] == D(4000)
    assert r.worksheet[11] == D(3000)
    assert r.worksheet[12] == D(7000)


def test_carryforward_in_only() -> None:
    r = sd(cf_st="5000", cf_lt="10000")
    assert (r.short_term, r.long_term, r.net) == (D(-5000), D(-10000), D(-15000))
    assert r.deduction == D(3000)
    assert (r.carryforward_short, r.carryforward_long) == (D(2000), D(10000))


def test_carryforward_in_absorbed_by_gains() -> None:
    r = sd("0", "20000", cf_st="1000", cf_lt="5000")
    assert (r.short_term, r.long_term, r.net) == (D(-1000), D(15000), D(14000))
    assert r.deduction == D(0)
    assert (r.carryforward_short, r.carryforward_long) == (D(0), D(0))
    assert r.worksheet == {}
    assert codes(r) == ["net_gain"]


def test_low_income_restores_part_of_the_deduction() -> None:
    # Taxable income before the deduction is $1,200: line 1 = 1,200 − 3,000 = −1,800.
    r = sd("-10000", income="1200")
    assert r.deduction == D(3000)  # line 21 is not reduced
    assert r.worksheet[1] == D(-1800)
    assert r.worksheet[3] == D(1200)
    assert r.worksheet[4] == D(1200)
    assert r.carryforward_short == D(8800)
    assert r.deduction_used == D(1200)
    assert r.restored == D(1800)
    text = next(x for x in r.reasons if x.code == "deduction_restored").text
    assert "Only $1,200" in text and "$1,800 is restored" in text


def test_negative_taxable_income_restores_all_of_it() -> None:
    r = sd("-1000", "-5000", income="-100")
    assert r.deduction == D(3000)
    assert r.worksheet[1] == D(-3100)
    assert r.worksheet[3] == D(0)
    assert r.worksheet[4] == D(0)
    assert (r.carryforward_short, r.carryforward_long) == (D(1000), D(5000))
    assert r.restored == D(3000)
    assert "none of the $3,000" in next(x for x in r.reasons if x.code == "deduction_restored").text


def test_zero_taxable_income_before_the_deduction_restores_all() -> None:
    r = sd("-4000", income="0")
    assert r.worksheet[4] == D(0)
    assert r.carryforward_short == D(4000)


def test_high_income_uses_the_whole_deduction() -> None:
    r = sd("-10000", income="50000")
    assert (r.deduction, r.carryforward_short, r.carryforward_long) == (D(3000), D(7000), D(0))
    assert r.worksheet[1] == D(47000)
    assert r.worksheet[4] == D(3000)
    assert r.restored == D(0)
    assert "deduction_restored" not in codes(r)
    assert r.to_json() == sd("-10000").to_json()  # as when taxable income is not given


def test_zero_net() -> None:
    r = sd("3000", "-3000")
    assert (r.net, r.deduction, r.carryforward_short, r.carryforward_long) == (D(0),) * 4
    assert r.worksheet == {}
    assert codes(r) == ["net_zero"]


def test_net_gain() -> None:
    r = sd("500", "1500")
    assert r.net == D(2000)
    assert r.deduction == D(0)
    assert codes(r) == ["net_gain"]


def test_to_json_rounds_half_up() -> None:
    r = sd("-1234.565", "0.005")
    assert r.to_json()["short_term"] == "-1234.57"
    assert r.to_json()["long_term"] == "0.01"
    assert set(r.to_json()) == {"short_term", "long_term", "net", "deduction", "carryforward_out"}


def test_reasons_are_reasons() -> None:
    for r in (sd("-9000", "4000"), sd("100"), sd("-100", income="-5")):
        assert r.reasons
        for reason in r.reasons:
            assert isinstance(reason, Reason)
            assert reason.text and reason.rule and reason.code


def test_rejects_negative_carryforward_in() -> None:
    with pytest.raises(ValueError):
        sd(cf_st="-1")
    with pytest.raises(ValueError):
        sd(cf_lt="-1")


def test_rejects_unknown_status() -> None:
    with pytest.raises(ValueError):
        sd("-1", status="jointly")


money = st.decimals(min_value=D("-1000000"), max_value=D("1000000"), places=2, allow_nan=False)
loss_in = st.decimals(min_value=D("0"), max_value=D("1000000"), places=2, allow_nan=False)


@given(
    short=money,
    long=money,
    cf_short=loss_in,
    cf_long=loss_in,
    status=st.sampled_from(FILING_STATUSES),
    income=st.none() | money,
)
def test_carryover_never_creates_or_loses_money(
    short: Decimal,
    long: Decimal,
    cf_short: Decimal,
    cf_long: Decimal,
    status: str,
    income: Decimal | None,
) -> None:
    r = schedule_d(
        short_term_results=short,
        long_term_results=long,
        carryforward_in_short=cf_short,
        carryforward_in_long=cf_long,
        filing_status=status,
        taxable_income_before_capital=income,
    )
    net_loss = max(D(0), -r.net)
    assert r.net == r.short_term + r.long_term
    assert D(0) <= r.deduction <= capital_loss_limit(status)
    assert r.deduction == min(net_loss, capital_loss_limit(status))
    assert r.carryforward_short >= 0 and r.carryforward_long >= 0
    assert D(0) <= r.restored <= r.deduction
    # What carries forward plus what was used is the whole net loss: nothing made, nothing lost.
    assert r.carryforward_short + r.carryforward_long + r.deduction - r.restored == net_loss
    assert r.carryforward_short + r.carryforward_long + r.deduction <= net_loss + r.restored
    if income is None:
        assert r.restored == 0
        assert r.deduction + r.carryforward_short + r.carryforward_long == net_loss
    # Character is kept: never more carried as short-term than the short-term loss, and so on.
    assert r.carryforward_short <= max(D(0), -r.short_term)
    assert r.carryforward_long <= max(D(0), -r.long_term)
    if r.net >= 0:
        assert r.worksheet == {}
