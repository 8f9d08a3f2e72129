"""How many enterprises a spot check draws from each stratum (R-REV-9). Pure arithmetic, the
same on every database: the sample is the requested share of the whole population, rounded
up; it is allocated over the industries and, within each industry, over the strata in
proportion (largest remainders); an industry whose share falls below the province's minimum
is topped up to it (or to all its enterprises, when it has fewer), so that its pass rate can
be judged. Nothing else adds to the size: a stratum of one or two enterprises gets none
unless its share earns one."""

from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction


def share_of(population: int, percentage: Decimal) -> int:
    """The requested share of ``population``, rounded up (10% of 321 is 33)."""
    exact = Decimal(population) * Decimal(percentage) / Decimal(100)
    return int(exact.to_integral_value(rounding=ROUND_CEILING))


def largest_remainder(total: int, sizes: Mapping[Hashable, int]) -> dict[Hashable, int]:
    """Split ``total`` over the keys of ``sizes`` in proportion to their sizes (Hamilton's
    method: whole parts first, then one more to the largest remainders; ties to the larger
    size, then the smaller key). No key gets more than its size."""
    population = sum(sizes.values())
    if population == 0:
        return dict.fromkeys(sizes, 0)
    total = min(total, population)
    quotas = {k: Fraction(total * n, population) for k, n in sizes.items()}
    shares = {k: int(q) for k, q in quotas.items()}
    left = total - sum(shares.values())
    by_remainder = sorted(sizes, key=lambda k: (-(quotas[k] - shares[k]), -sizes[k], k))
    for key in by_remainder[:left]:
        shares[key] += 1
    return shares


@dataclass(frozen=True)
class Allocation:
    requested: int
    #: Drawn per (unit, industry) stratum.
    strata: dict[tuple, int]
    #: Drawn per industry, and how many of those the minimum added to the proportional share.
    industries: dict[Hashable, int]
    topped_up: dict[Hashable, int]

    @property
    def size(self) -> int:
        return sum(self.strata.values())


def allocate(
    strata: Mapping[tuple, int], *, percentage: Decimal, min_per_industry: int
) -> Allocation:
    """``strata`` maps (unit, industry) to its population; the allocation says how many to
    draw from each."""
    population = sum(strata.values())
    requested = share_of(population, percentage)
    by_industry: dict[Hashable, int] = defaultdict(int)
    for (_unit, industry), n in strata.items():
        by_industry[industry] += n
    proportional = largest_remainder(requested, by_industry)
    industries, topped_up = {}, {}
    for industry, n in by_industry.items():
        floor = min(min_per_industry, n)
        industries[industry] = max(proportional[industry], floor)
        topped_up[industry] = industries[industry] - proportional[industry]
    drawn: dict[tuple, int] = {}
    for industry, k in industries.items():
        units = {unit: n for (unit, ind), n in strata.items() if ind == industry}
        for unit, share in largest_remainder(k, units).items():
            drawn[(unit, industry)] = share
    return Allocation(requested=requested, strata=drawn, industries=industries, topped_up=topped_up)
