"""Small charts drawn as SVG on the server (no chart library, no script, no CDN).

Each chart is an accessible image: role="img" with a title and a description that says the
numbers in words; the page shows the same numbers in a table next to it. Every text is
escaped; ids are prefixed per chart so several charts can share one page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup
from markupsafe import escape

BLUE = "#1a56a6"
RED = "#b42318"
GREEN = "#1e6e35"
LIGHT_GREEN = "#6aa84f"
AMBER = "#b7791f"
GREY = "#9aa5b3"
INK = "#1d2733"
MUTED = "#55606e"
GRID = "#e6eaef"
FONT = "font-family:'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif"


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    highlight: int = 0  # the part of `value` drawn in red (e.g. overdue)


def _nice_max(value: int) -> int:
    """A round upper bound for an axis with four equal whole-number steps."""
    step_needed = max(-(-value // 4), 1)
    magnitude = 10 ** (len(str(step_needed)) - 1)
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        size = step * magnitude
        if size == int(size) and step_needed <= size:
            return 4 * int(size)
    return 40 * magnitude


def _svg(uid: str, width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{uid}-t {uid}-d" style="{FONT}">'
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def horizontal_bars(
    uid: str,
    title: str,
    bars: Sequence[Bar],
    *,
    value_label: str,
    highlight_label: str | None = None,
    limit: int = 10,
) -> Markup:
    """One bar per item, largest first; `highlight` of each bar drawn over it in red."""
    shown = list(bars)[:limit]
    row, top, left, right = 32, 34, 150, 56
    width = 560
    height = top + row * max(len(shown), 1) + 10
    top_value = _nice_max(max((b.value for b in shown), default=0))
    span = width - left - right
    body: list[str] = []
    legend_x = left
    body.append(
        f'<rect x="{legend_x}" y="6" width="12" height="12" fill="{BLUE}"/>'
        f'<text x="{legend_x + 18}" y="16" font-size="13" fill="{MUTED}">'
        f"{escape(value_label)}</text>"
    )
    if highlight_label:
        x = legend_x + 30 + 14 * len(value_label) + 20
        body.append(
            f'<rect x="{x}" y="6" width="12" height="12" fill="{RED}"/>'
            f'<text x="{x + 18}" y="16" font-size="13" fill="{MUTED}">'
            f"{escape(highlight_label)}</text>"
        )
    for i in range(5):
        x = left + span * i / 4
        body.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 8}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
    for index, bar in enumerate(shown):
        y = top + index * row
        w = span * bar.value / top_value
        hw = span * min(bar.highlight, bar.value) / top_value
        body.append(
            f'<text x="{left - 8}" y="{y + 17}" font-size="13" fill="{INK}" '
            f'text-anchor="end">{escape(_clip(bar.label, 12))}</text>'
            f'<rect x="{left}" y="{y + 5}" width="{max(w, 1):.1f}" height="18" rx="2" '
            f'fill="{BLUE}"/>'
        )
        if hw > 0:
            body.append(
                f'<rect x="{left}" y="{y + 5}" width="{hw:.1f}" height="18" rx="2" fill="{RED}"/>'
            )
        text = f"{bar.value}" + (f" / {bar.highlight}" if highlight_label else "")
        body.append(
            f'<text x="{left + w + 6:.1f}" y="{y + 18}" font-size="13" fill="{INK}">'
            f"{escape(text)}</text>"
        )
    desc = "；".join(
        f"{b.label} {b.value}" + (f"（{highlight_label} {b.highlight}）" if highlight_label else "")
        for b in shown
    )
    return _svg(uid, width, height, title, desc, body)


def month_columns(
    uid: str,
    title: str,
    months: Sequence[tuple[str, int, int]],
    *,
    first_label: str,
    second_label: str,
) -> Markup:
    """Two columns per month (e.g. opened and closed), with the month under each pair."""
    width, height = 560, 280
    left, right, top, bottom = 40, 10, 34, 34
    plot_w = width - left - right
    plot_h = height - top - bottom
    top_value = _nice_max(max((max(a, b) for _, a, b in months), default=0))
    slot = plot_w / max(len(months), 1)
    bar_w = max(min(slot * 0.35, 18), 2)
    body = [
        f'<rect x="{left}" y="6" width="12" height="12" fill="{BLUE}"/>'
        f'<text x="{left + 18}" y="16" font-size="13" fill="{MUTED}">{escape(first_label)}</text>'
        f'<rect x="{left + 120}" y="6" width="12" height="12" fill="{GREEN}"/>'
        f'<text x="{left + 138}" y="16" font-size="13" fill="{MUTED}">{escape(second_label)}</text>'
    ]
    for i in range(5):
        value = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="12" fill="{MUTED}" '
            f'text-anchor="end">{value:g}</text>'
        )
    label_every = 1 if len(months) <= 12 else 2 if len(months) <= 24 else 3
    for index, (label, first, second) in enumerate(months):
        x = left + slot * index + slot / 2
        for offset, value, colour in ((-bar_w, first, BLUE), (0, second, GREEN)):
            h = plot_h * value / top_value
            body.append(
                f'<rect x="{x + offset:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
                f'height="{max(h, 0):.1f}" fill="{colour}"><title>{escape(label)} '
                f"{value}</title></rect>"
            )
        if index % label_every == 0:
            body.append(
                f'<text x="{x:.1f}" y="{height - bottom + 16}" font-size="12" fill="{MUTED}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    desc = "；".join(f"{label} {first_label} {a}，{second_label} {b}" for label, a, b in months)
    return _svg(uid, width, height, title, desc, body)


def share_bar(uid: str, title: str, parts: Sequence[tuple[str, int, str]]) -> Markup:
    """One bar split by share (label, count, colour), with a legend of counts and percents."""
    width, height = 1000, 86
    left, right = 10, 10
    total = sum(count for _, count, _ in parts)
    body: list[str] = []
    x = float(left)
    span = width - left - right
    for label, count, colour in parts:
        if not total or not count:
            continue
        w = span * count / total
        body.append(
            f'<rect x="{x:.1f}" y="10" width="{w:.1f}" height="34" fill="{colour}">'
            f"<title>{escape(label)} {count}</title></rect>"
        )
        if w > 46:
            body.append(
                f'<text x="{x + w / 2:.1f}" y="32" font-size="13" fill="#fff" '
                f'text-anchor="middle" font-weight="600">{count * 100 / total:.0f}%</text>'
            )
        x += w
    if not total:
        body.append(f'<rect x="{left}" y="10" width="{span}" height="34" fill="{GRID}"/>')
    lx = left
    for label, count, colour in parts:
        share = f" {count * 100 / total:.0f}%" if total else ""
        text = f"{label} {count}{share}"
        body.append(
            f'<rect x="{lx}" y="66" width="12" height="12" fill="{colour}"/>'
            f'<text x="{lx + 18}" y="76" font-size="13" fill="{INK}">{escape(text)}</text>'
        )
        lx += 40 + 13 * len(text)
    desc = "；".join(f"{label} {count}" for label, count, _ in parts)
    return _svg(uid, width, height, title, desc, body)
