"""Charts of the ratio check (R-LIST-7) as inline SVG, drawn on the server (no script, no
external asset): per scope one bar per pollutant for the achieved share, with a marker at the
required share and the shortfall in red. The ratio-check page draws one scope per level, an
alert's page one group per county."""

import math
from decimal import Decimal
from html import escape

from django.utils.translation import gettext as _

from emergency_list.models import Alert
from emergency_list.services.ratios import LABELS, POLLUTANTS

Q1 = Decimal("0.1")
ZERO = Decimal(0)

CHART_WIDTH = 900
LABEL_W = 140
TEXT_W = 170
PLOT_W = CHART_WIDTH - LABEL_W - TEXT_W - 10
BAR_H = 10
BAR_GAP = 3
GROUP_PAD = 14
COLORS = {"so2": "#4e79a7", "nox": "#f28e2b", "pm": "#76b7b2", "vocs": "#af7aa1"}
SHORT_COLOR = "#c0392b"
FONT = "'Noto Sans CJK SC','Microsoft YaHei',sans-serif"


def _get(r, key):
    return r.get(key) if isinstance(r, dict) else getattr(r, key)


def _dec(v) -> Decimal:
    return Decimal(str(v)) if v not in (None, "") else ZERO


def _fmt(v: Decimal) -> str:
    s = f"{v.quantize(Q1):f}"
    return s[:-2] if s.endswith(".0") else s


def grouped_ratio_chart_svg(groups: list[tuple[str, list]], title: str) -> str:
    """Horizontal grouped bars: per group (county) one bar per pollutant for the achieved share
    and a marker at the required share (R-LIST-7). Results are ``PollutantResult`` objects or
    dicts with ``pollutant``, ``label``, ``baseline_td``, ``achieved_pct``, ``required_pct`` and
    ``shortfall_td``; a group without baseline emissions reads 无清单企业."""
    values = [
        v
        for _label, rows in groups
        for r in rows
        for v in (_dec(_get(r, "achieved_pct")), _dec(_get(r, "required_pct")))
    ]
    xmax = Decimal(min(100, max(10, math.ceil(max(values, default=ZERO) / 10) * 10)))
    top = 66
    group_h = len(POLLUTANTS) * (BAR_H + BAR_GAP) - BAR_GAP + GROUP_PAD
    plot_h = max(1, len(groups)) * group_h
    height = top + plot_h + 34

    def x(v: Decimal) -> float:
        return LABEL_W + float(min(v, xmax) / xmax) * PLOT_W

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{height}" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{FONT}" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{CHART_WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{CHART_WIDTH // 2}" y="20" text-anchor="middle" font-size="15" '
        f'font-weight="bold">{escape(title)}</text>',
    ]
    lx = LABEL_W
    for p in POLLUTANTS:
        out.append(f'<rect x="{lx}" y="32" width="12" height="12" fill="{COLORS[p]}"/>')
        out.append(f'<text x="{lx + 16}" y="42">{escape(LABELS[p])}达成比例</text>')
        lx += 110
    out.append(f'<line x1="{lx}" y1="38" x2="{lx + 16}" y2="38" stroke="#222" stroke-width="2"/>')
    out.append(f'<text x="{lx + 20}" y="42">要求比例</text>')
    out.append(f'<text x="{lx + 90}" y="42" fill="{SHORT_COLOR}">红字：未达要求</text>')
    step = xmax / 5
    for i in range(6):
        gx = x(step * i)
        out.append(
            f'<line x1="{gx:.1f}" y1="{top - 4}" x2="{gx:.1f}" y2="{top + plot_h}" '
            f'stroke="#e3e3e3" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{gx:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'fill="#555">{_fmt(step * i)}%</text>'
        )
    out.append(
        f'<line x1="{LABEL_W}" y1="{top - 4}" x2="{LABEL_W}" y2="{top + plot_h}" stroke="#888"/>'
    )
    for gi, (label, rows) in enumerate(groups):
        gy = top + gi * group_h
        if gi % 2:
            out.append(
                f'<rect x="0" y="{gy - GROUP_PAD / 2:.1f}" width="{CHART_WIDTH}" '
                f'height="{group_h}" fill="#f7f7f7" fill-opacity="0.6"/>'
            )
        inner = len(rows) * (BAR_H + BAR_GAP) - BAR_GAP
        out.append(
            f'<text x="{LABEL_W - 8}" y="{gy + inner / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(str(label))}</text>"
        )
        if rows and all(_dec(_get(r, "baseline_td")) == 0 for r in rows):
            out.append(
                f'<text x="{LABEL_W + 8}" y="{gy + inner / 2 + 4:.1f}" fill="#888">'
                f"{escape(_('无清单企业'))}</text>"
            )
            continue
        for bi, r in enumerate(rows):
            p = _get(r, "pollutant")
            lab = _get(r, "label") or LABELS.get(p, p)
            got, need = _dec(_get(r, "achieved_pct")), _dec(_get(r, "required_pct"))
            short = _dec(_get(r, "shortfall_td"))
            by = gy + bi * (BAR_H + BAR_GAP)
            width = x(got) - LABEL_W
            tip = _("%(scope)s %(p)s：达成%(got)s%%，要求%(need)s%%") % {
                "scope": label,
                "p": lab,
                "got": _fmt(got),
                "need": _fmt(need),
            }
            if short > 0:
                tip += _("，缺口%s吨/日") % f"{short:f}"
            out.append(
                f'<rect x="{LABEL_W}" y="{by}" width="{width:.1f}" height="{BAR_H}" '
                f'fill="{COLORS.get(p, "#999")}"><title>{escape(tip)}</title></rect>'
            )
            rx = x(need)
            out.append(
                f'<line x1="{rx:.1f}" y1="{by - 2}" x2="{rx:.1f}" y2="{by + BAR_H + 2}" '
                f'stroke="#222" stroke-width="2"/>'
            )
            colour = SHORT_COLOR if short > 0 else "#333"
            out.append(
                f'<text x="{max(x(got), rx) + 6:.1f}" y="{by + BAR_H - 1}" font-size="10" '
                f'fill="{colour}">{escape(lab)} {_fmt(got)}%（要求{_fmt(need)}%）</text>'
            )
    out.append("</svg>")
    return "\n".join(out)


def ratio_chart_svg(results_by_pollutant: list, title: str) -> str:
    """One scope's ratio check as a chart (the ratio-check page): the results of one level,
    one per pollutant."""
    return grouped_ratio_chart_svg([("", results_by_pollutant)], title)


def alert_chart_svg(alert: Alert, results: dict | None = None) -> str:
    """Per county of the alert, achieved against required share of each pollutant, from the
    stored record, or from ``results`` (the part of it a reader sees)."""
    res = alert.results if results is None else results
    title = _("%(level)s预警 %(start)s至%(end)s 各县（市、区）减排比例") % {
        "level": res.get("level_label") or alert.get_level_display(),
        "start": res.get("start_on", alert.start_on),
        "end": res.get("end_on", alert.end_on),
    }
    groups = [(c["name"], c["pollutants"]) for c in res.get("counties", [])]
    return grouped_ratio_chart_svg(groups, title)
