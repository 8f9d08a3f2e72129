"""The ratio check (R-LIST-7): per alert level, the list's total cut of SO2, NOx, PM and VOCs
against the required share of its baseline, for a county, a city or the province.

No division happens in the database (SQLite divides integers as integers): the database sums
the yearly emissions per number of operating days, Python divides each sum by its days, and
everything is rounded by ``arithmetic``'s one rule, so both databases give the same figures."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from emergency_list.models import AlertLevel, EntryMeasure, ListEntry, ReductionTarget
from emergency_list.services.arithmetic import ZERO, pct_of, per_day, share_pct, tonnes
from grading.models import Region

DEFAULT_PCT = {
    AlertLevel.YELLOW: Decimal(10),
    AlertLevel.ORANGE: Decimal(20),
    AlertLevel.RED: Decimal(30),
}
POLLUTANTS = ("so2", "nox", "pm", "vocs")
LABELS = {"so2": "SO2", "nox": "NOx", "pm": "颗粒物", "vocs": "VOCs"}


def units_of(scope: Region):
    """The county-level units a scope covers."""
    if scope.holds_enterprises:
        return Region.objects.filter(pk=scope.pk)
    if scope.level == Region.Level.CITY:
        return Region.objects.filter(parent=scope)
    return Region.objects.filter(Q(parent=scope) | Q(parent__parent=scope)).filter(
        Q(level=Region.Level.COUNTY) | Q(reviews_as_county=True)
    )


def required_pct(*, scope: Region, year: int, level: str) -> dict[str, Decimal]:
    """The city's setting for the year, else its standing setting, else the province's, else
    the 10/20/30% default (settings per city and year)."""
    city = (
        scope
        if scope.level == Region.Level.CITY
        else scope.parent
        if scope.level == Region.Level.COUNTY
        else None
    )
    candidates = []
    if city is not None:
        candidates += [(city, year), (city, None)]
    candidates += [(None, year), (None, None)]
    targets = {(t.region_id, t.year): t for t in ReductionTarget.objects.filter(level=level)}
    for region, y in candidates:
        t = targets.get((region.pk if region else None, y))
        if t is not None:
            return {p: getattr(t, f"{p}_pct") for p in POLLUTANTS}
    return {p: DEFAULT_PCT[level] for p in POLLUTANTS}


@dataclass
class PollutantResult:
    pollutant: str
    label: str
    baseline_td: Decimal
    cut_td: Decimal
    required_pct: Decimal

    @property
    def achieved_pct(self) -> Decimal:
        return share_pct(self.cut_td, self.baseline_td)

    @property
    def required_td(self) -> Decimal:
        return pct_of(self.baseline_td, self.required_pct)

    @property
    def shortfall_td(self) -> Decimal:
        return max(self.required_td - self.cut_td, ZERO)

    @property
    def ok(self) -> bool:
        return self.shortfall_td == 0


def baseline_td(entries) -> dict[str, Decimal]:
    """The entries' daily emissions per pollutant: Σ (t/a ÷ operating days), rounded once."""
    out = dict.fromkeys(POLLUTANTS, ZERO)
    rows = (
        entries.order_by()
        .values("operating_days")
        .annotate(**{p: Sum(f"{p}_tpa") for p in POLLUTANTS})
    )
    for r in rows:
        for p in POLLUTANTS:
            out[p] += per_day(r[p], r["operating_days"])
    return {p: tonnes(v) for p, v in out.items()}


def ratio_check(*, scope: Region, year: int, entries=None) -> dict[str, list[PollutantResult]]:
    """{level: [result per pollutant]} for the entries of ``scope`` in ``year``."""
    entries = (
        entries
        if entries is not None
        else ListEntry.objects.filter(year=year, county__in=units_of(scope))
    )
    base = baseline_td(entries)
    out = {}
    for level in AlertLevel.values:
        cuts = EntryMeasure.objects.filter(entry_process__entry__in=entries, level=level).aggregate(
            **{p: Sum(f"{p}_td") for p in POLLUTANTS}
        )
        req = required_pct(scope=scope, year=year, level=level)
        out[level] = [
            PollutantResult(
                pollutant=p,
                label=LABELS[p],
                baseline_td=base[p],
                cut_td=tonnes(cuts[p]),
                required_pct=req[p],
            )
            for p in POLLUTANTS
        ]
    return out
