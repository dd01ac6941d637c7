"""The plan's progress partial (asked again after every decision) is computed by a light
selector of its own: it must show exactly what the whole page shows in its progress bar."""

from __future__ import annotations

import re
from collections.abc import Callable

from taxlogic import services
from taxlogic.models import ActionPlan, Decision, Recommendation, RecommendationStatus
from tests.load.conftest import Book

BAR = re.compile(r'<div id="plan-progress".*?</div>', re.S)


def _bar(html: str) -> str:
    found = BAR.search(html)
    assert found, html[:500]
    return re.sub(r"\s+", " ", found.group(0))


def test_the_progress_partial_shows_what_the_page_shows(make_book: Callable[..., Book]) -> None:
    book = make_book(2, lots=30)
    plan = ActionPlan.objects.filter(firm=book.firm, is_current=True).exclude(recommendations=None)[
        0
    ]
    client = book.signed_in(book.advisor)
    url = f"/plans/households/{plan.household.public_id}/"

    def both() -> tuple[str, str]:
        page = client.get(url).content.decode()
        part = client.get(url + "?part=progress", HTTP_HX_REQUEST="true").content.decode()
        return _bar(page), _bar(part)

    page, part = both()
    assert part == page and "open" in part
    first = Recommendation.objects.filter(plan=plan, status=RecommendationStatus.OPEN).order_by(
        "position"
    )[0]
    services.recommendation_decide(
        recommendation=first, user=book.advisor, decision=Decision.APPROVE, reason="Yes."
    )
    after_page, after_part = both()
    assert after_part == after_page != page
    assert "approved" in after_part
