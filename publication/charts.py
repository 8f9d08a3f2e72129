"""Charts of the targets dashboard as inline SVG drawn on the server (no script, no CDN):
A/B share bars against their targets and baselines, and the share month by month."""

from decimal import Decimal
from html import escape

from django.utils.translation import gettext as _

FONT = "'Noto Sans CJK SC','Microsoft YaHei',sans-serif"
BAR = "#4e79a7"
SHORT = "#c0392b"
TARGET = "#c0392b"
BASELINE = "#888888"


def _fmt(v) -> str:
    if v is None:
        return "—"
    s = f"{Decimal(v):.1f}"
    return s[:-2] if s.endswith(".0") else s


def share_bars_svg(lines, *, title: str, width: int = 900) -> str:
    """One horizontal bar per line (``.name``, ``.tally.share``, ``.target``, ``.baseline``):
    the share, a red mark at the target (bar red when below it), a grey mark at the 2020
    baseline."""
    label_w, text_w, row_h, top = 150, 230, 24, 40
    plot_w = width - label_w - text_w - 20
    values = [v for line in lines for v in (line.tally.share, line.target, line.baseline) if v]
    xmax = Decimal(max(30, min(100, int((max(values, default=Decimal(0)) + 9) // 10 * 10))))
    height = top + max(1, len(lines)) * row_h + 30

    def x(v) -> float:
        return label_w + float(Decimal(v) / xmax) * plot_w

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{FONT}" font-size="12">',
        f'<text x="0" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for tick in range(0, int(xmax) + 1, 10):
        tx = x(tick)
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top - 6}" x2="{tx:.1f}" y2="{height - 26}" '
            'stroke="#e5e7eb"/>'
            f'<text x="{tx:.1f}" y="{height - 10}" text-anchor="middle" fill="#666">{tick}%</text>'
        )
    for i, line in enumerate(lines):
        y = top + i * row_h
        share = line.tally.share
        below = share is not None and line.target is not None and share < line.target
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(line.name)}</text>'
        )
        if share is not None:
            parts.append(
                f'<rect x="{label_w}" y="{y + 4}" width="{x(share) - label_w:.1f}" height="14" '
                f'fill="{SHORT if below else BAR}"><title>{escape(line.name)} {_fmt(share)}%'
                "</title></rect>"
            )
        if line.target is not None:
            tx = x(line.target)
            parts.append(
                f'<line x1="{tx:.1f}" y1="{y + 1}" x2="{tx:.1f}" y2="{y + 21}" '
                f'stroke="{TARGET}" stroke-width="2.5"/>'
            )
        if line.baseline is not None:
            bx = x(line.baseline)
            parts.append(
                f'<line x1="{bx:.1f}" y1="{y + 1}" x2="{bx:.1f}" y2="{y + 21}" '
                f'stroke="{BASELINE}" stroke-width="2" stroke-dasharray="3 2"/>'
            )
        text = _("%(share)s%%（%(ab)d/%(graded)d）") % {
            "share": _fmt(share),
            "ab": line.tally.ab,
            "graded": line.tally.graded,
        }
        if line.target is not None:
            text += _(" 目标≥%(t)s%%") % {"t": _fmt(line.target)}
        parts.append(f'<text x="{width - text_w}" y="{y + 15}">{escape(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def monthly_svg(months: list[dict], *, target, title: str, width: int = 900) -> str:
    """The A/B share at each month end (a line), the target (a red line) and the D count
    under each month."""
    left, right, top, plot_h = 50, 20, 40, 200
    height = top + plot_h + 60
    shares = [m["share"] for m in months if m["share"] is not None]
    values = shares + ([target] if target is not None else [])
    ymax = Decimal(max(30, min(100, int((max(values, default=Decimal(0)) + 9) // 10 * 10))))
    n = max(1, len(months))
    step = (width - left - right) / n

    def y(v) -> float:
        return top + plot_h - float(Decimal(v) / ymax) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{FONT}" font-size="12">',
        f'<text x="0" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for tick in range(0, int(ymax) + 1, 10):
        ty = y(tick)
        parts.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" stroke="#e5e7eb"/>'
            f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" fill="#666">{tick}%</text>'
        )
    if target is not None:
        ty = y(target)
        parts.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" '
            f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="6 3"/>'
            f'<text x="{width - right}" y="{ty - 5:.1f}" text-anchor="end" fill="{TARGET}">'
            f"{escape(_('目标') + _fmt(target) + '%')}</text>"
        )
    points = []
    for i, m in enumerate(months):
        cx = left + step * i + step / 2
        parts.append(
            f'<text x="{cx:.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
            f"{escape(_('%d月') % m['month'])}</text>"
            f'<text x="{cx:.1f}" y="{top + plot_h + 36}" text-anchor="middle" '
            f'fill="{SHORT if m["d"] else "#666"}">{escape(_("D级%d") % m["d"])}</text>'
        )
        if m["share"] is not None:
            cy = y(m["share"])
            points.append(f"{cx:.1f},{cy:.1f}")
            parts.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{BAR}"><title>'
                f"{escape(_('%d月') % m['month'])} {_fmt(m['share'])}%</title></circle>"
                f'<text x="{cx:.1f}" y="{cy - 9:.1f}" text-anchor="middle">'
                f"{_fmt(m['share'])}%</text>"
            )
    if len(points) > 1:
        parts.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="{BAR}" stroke-width="2"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
