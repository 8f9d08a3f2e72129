"""The ratio check (R-LIST-7): per alert level, the list's total cut of SO2, NOx, PM and VOCs
against the required share of its baseline, for a county, a city or the province."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Q, Sum

from emergency_list.models import AlertLevel, EntryMeasure, ListEntry, ReductionTarget
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
        return (
            (self.cut_td / self.baseline_td * 100).quantize(Decimal("0.1"))
            if self.baseline_td
            else Decimal(0)
        )

    @property
    def required_td(self) -> Decimal:
        return (self.baseline_td * self.required_pct / 100).quantize(Decimal("0.0001"))

    @property
    def shortfall_td(self) -> Decimal:
        return max(self.required_td - self.cut_td, Decimal(0))

    @property
    def ok(self) -> bool:
        return self.shortfall_td == 0


def ratio_check(*, scope: Region, year: int, entries=None) -> dict[str, list[PollutantResult]]:
    """{level: [result per pollutant]} for the entries of ``scope`` in ``year``."""
    entries = (
        entries
        if entries is not None
        else ListEntry.objects.filter(year=year, county__in=units_of(scope))
    )
    per_day = {
        p: Sum(
            ExpressionWrapper(
                F(f"{p}_tpa") / F("operating_days"),
                output_field=DecimalField(max_digits=20, decimal_places=6),
            )
        )
        for p in POLLUTANTS
    }
    base = entries.aggregate(**per_day)
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
                baseline_td=Decimal(base[p] or 0).quantize(Decimal("0.0001")),
                cut_td=Decimal(cuts[p] or 0).quantize(Decimal("0.0001")),
                required_pct=req[p],
            )
            for p in POLLUTANTS
        ]
    return out
