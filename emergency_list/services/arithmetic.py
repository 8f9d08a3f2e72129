"""The list's arithmetic (R-LIST-7), in one place: every emission, cut and share is a Decimal
computed in Python with one rounding rule, so that a county's figures are the same on the
embedded SQLite and on PostgreSQL (SQLite divides two integers as integers: a baseline
``100 / 300`` read as 0 once made a county "meet" its target with nothing cut).

The rule: tonnes (per year or per day) to four places, percentages to one place, both rounded
half up; a share is never below 0% nor above 100%; a total shared out over parts is
apportioned by largest remainder, so that the rounded parts add up to the rounded total."""

from collections.abc import Iterable, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
Q4 = Decimal("0.0001")  # tonnes
Q1 = Decimal("0.1")  # percent


def tonnes(value) -> Decimal:
    """Tonnes as the list keeps and prints them: four places, half up."""
    return Decimal(value or 0).quantize(Q4, rounding=ROUND_HALF_UP)


def per_day(tpa, days) -> Decimal:
    """A yearly amount spread over the operating days, unrounded (rounded where it is kept)."""
    days = Decimal(days or 0)
    return Decimal(tpa or 0) / days if days else ZERO


def share_pct(part, whole) -> Decimal:
    """``part`` as a percentage of ``whole`` (one place, half up), within 0–100%: rounding
    of the parts never prints a full stop as 105%. ``whole`` of 0 gives 0."""
    whole = Decimal(whole or 0)
    if whole <= 0:
        return ZERO
    part = min(max(Decimal(part or 0), ZERO), whole)
    return (part / whole * HUNDRED).quantize(Q1, rounding=ROUND_HALF_UP)


def pct_of(amount, pct) -> Decimal:
    """``pct`` percent of ``amount`` in tonnes (a required cut)."""
    return tonnes(Decimal(amount or 0) * Decimal(pct or 0) / HUNDRED)


def apportion(exact: Sequence[Decimal], total: Decimal | None = None) -> list[Decimal]:
    """Round ``exact`` parts to four places so that they add up to ``total`` (by default the
    rounded sum of the parts): each part is rounded down, and the units left over go to the
    parts with the largest remainders (ties to the earlier part)."""
    if not exact:
        return []
    target = tonnes(sum(exact, ZERO) if total is None else total)
    floors = [Decimal(x).quantize(Q4, rounding=ROUND_DOWN) for x in exact]
    left = int((target - sum(floors, ZERO)) / Q4)
    if left > 0:
        order = sorted(range(len(exact)), key=lambda i: (-(Decimal(exact[i]) - floors[i]), i))
        for i in order[:left]:
            floors[i] += Q4
    elif left < 0:  # the total asked for is below the parts (never for a rounded sum)
        order = sorted(range(len(exact)), key=lambda i: (Decimal(exact[i]) - floors[i], i))
        for i in order[:-left]:
            floors[i] = max(floors[i] - Q4, ZERO)
    return floors


def split(total: Decimal, weights: Iterable[Decimal]) -> list[Decimal]:
    """``total`` tonnes shared out in proportion to ``weights`` (evenly when all are 0),
    apportioned so the parts add up to ``total``."""
    weights = [Decimal(w or 0) for w in weights]
    if not weights:
        return []
    whole = sum(weights, ZERO)
    if whole <= 0:
        weights, whole = [Decimal(1)] * len(weights), Decimal(len(weights))
    total = Decimal(total or 0)
    return apportion([total * w / whole for w in weights], total)
