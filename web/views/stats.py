"""统计: the figures of supervision/statistics.py as a page with charts, and as Excel.

The region a user counts is decided by supervision.statistics (a county its own, the city
its counties); the page only offers the regions and bureaus inside that scope.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import Blueprint
from flask import Response
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from supervision import authz
from supervision import clock
from supervision import statistics
from supervision.errors import InvalidInputError
from supervision.permissions import Permission
from web import charts
from web.case_view import STATUS_LABELS
from web.case_view import case_status_label
from web.database import get_session
from web.lookups import bureaus
from web.lookups import group_names
from web.lookups import process_names
from web.security import acting_user
from web.security import require

bp = Blueprint("stats", __name__, url_prefix="/stats")

PERIODS = {
    "month": _l("本月"),
    "year": _l("本年"),
    "12m": _l("近12个月"),
    "last_year": _l("去年"),
    "all": _l("全部"),
}
SATISFACTION_LABELS = {
    "satisfied": _l("满意"),
    "basically_satisfied": _l("基本满意"),
    "dissatisfied": _l("不满意"),
}


def _day(raw: str | None, what: str) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(f"{what}格式应为 YYYY-MM-DD (dates are YYYY-MM-DD)") from None


def _period(name: str | None, today: date) -> tuple[date | None, date | None]:
    if name == "month":
        return date(today.year, today.month, 1), today
    if name == "12m":
        # The current month and the eleven before it.
        year, month = (
            (today.year, today.month - 11)
            if today.month > 11
            else (today.year - 1, today.month + 1)
        )
        return date(year, month, 1), today
    if name == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if name == "all":
        return None, None
    return date(today.year, 1, 1), today


def parse_filters(args) -> tuple[statistics.StatsFilter, str | None]:
    """The filter of the query string; without dates, the chosen period (default: this year)."""
    today = clock.local_now().date()
    start = _day(args.get("from"), "开始日期")
    end = _day(args.get("to"), "结束日期")
    period = args.get("period") if args.get("period") in PERIODS else None
    if start is None and end is None:
        period = period or "year"
        start, end = _period(period, today)
    else:
        period = None
    return (
        statistics.StatsFilter(
            process_key=args.get("flow") or None,
            region=args.get("region") or None,
            bureau=args.get("bureau") or None,
            start=start,
            end=end,
        ),
        period,
    )


def status_name(code: str | None) -> str:
    if code in STATUS_LABELS:
        return str(STATUS_LABELS[code])
    return case_status_label(code) or _("未知")


def _names(report: statistics.Report):
    session = get_session()
    return {
        "flows": process_names(session),
        "bureaus": group_names(session, [t.key for t in report.by_bureau]),
        "regions": statistics.region_names(session, [t.key for t in report.by_region]),
    }


def _charts(report: statistics.Report, names) -> dict:
    bureau_bars = [
        charts.Bar(names["bureaus"].get(t.key, t.key) if t.key else _("未指定"), t.total, t.overdue)
        for t in report.by_bureau
    ]
    months = [
        (f"{m.month.year % 100:02d}-{m.month.month:02d}", m.opened, m.closed)
        for m in report.by_month
    ]
    satisfaction = report.totals.satisfaction
    return {
        "trend": charts.month_columns(
            "chart-trend",
            _("每月受理与办结"),
            months,
            first_label=_("新增"),
            second_label=_("办结"),
        ),
        "bureaus": charts.horizontal_bars(
            "chart-bureaus",
            _("各执法机关案件数与逾期数"),
            bureau_bars,
            value_label=_("案件"),
            highlight_label=_("逾期"),
        ),
        "satisfaction": charts.share_bar(
            "chart-satisfaction",
            _("回访满意度"),
            [
                (str(SATISFACTION_LABELS["satisfied"]), satisfaction["satisfied"], charts.GREEN),
                (
                    str(SATISFACTION_LABELS["basically_satisfied"]),
                    satisfaction["basically_satisfied"],
                    charts.LIGHT_GREEN,
                ),
                (
                    str(SATISFACTION_LABELS["dissatisfied"]),
                    satisfaction["dissatisfied"],
                    charts.RED,
                ),
            ],
        ),
    }


def _choices(user):
    session = get_session()
    scope = statistics.scope_for(user)
    return {
        "flow_choices": sorted(process_names(session).items(), key=lambda kv: kv[1]),
        "region_choices": statistics.region_choices(session, user),
        "bureau_choices": [
            (g.code, g.name) for g in bureaus(session) if scope.covers(g.region_code or "")
        ],
    }


@bp.get("/")
@require(Permission.STATS_READ)
def index():
    user = acting_user()
    filters, period = parse_filters(request.args)
    report = statistics.report(get_session(), user, filters)
    names = _names(report)
    args = {k: v for k, v in request.args.items() if v}
    return render_template(
        "stats/index.html",
        report=report,
        names=names,
        charts=_charts(report, names),
        period=period,
        periods=PERIODS,
        args=args,
        status_name=status_name,
        flow_name=lambda key: names["flows"].get(key, key),
        bureau_name=lambda code: names["bureaus"].get(code, code) if code else _("未指定"),
        region_name=lambda code: names["regions"].get(code, code) if code else _("未指定"),
        satisfaction_labels=SATISFACTION_LABELS,
        can_export_cases=authz.has(user, Permission.CASE_READ)
        and report.scope.prefixes is not None,
        **_choices(user),
    )


def _percent(value: float | None) -> float | None:
    return round(value * 100, 1) if value is not None else None


def _days(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


TALLY_HEADERS = (
    _l("案件数"),
    _l("办理中"),
    _l("已办结"),
    _l("已撤销"),
    _l("有期限"),
    _l("逾期"),
    _l("逾期率（%）"),
    _l("办理时长中位数（天）"),
    _l("满意"),
    _l("基本满意"),
    _l("不满意"),
    _l("满意率（%）"),
)


def _tally_row(label: str, tally: statistics.Tally) -> list:
    s = tally.satisfaction
    return [
        label,
        tally.total,
        tally.active,
        tally.completed,
        tally.cancelled,
        tally.with_deadline,
        tally.overdue,
        _percent(tally.overdue_rate),
        _days(tally.median_days),
        s["satisfied"],
        s["basically_satisfied"],
        s["dissatisfied"],
        _percent(tally.satisfaction_rate),
    ]


def _tally_sheet(title: str, first: str, rows) -> statistics.Sheet:
    return statistics.Sheet(
        title=title,
        headers=[first, *(str(h) for h in TALLY_HEADERS)],
        rows=rows,
        widths=[28, *([12] * len(TALLY_HEADERS))],
    )


@bp.get("/export.xlsx")
@require(Permission.STATS_READ)
def export():
    session = get_session()
    user = acting_user()
    filters, _period_name = parse_filters(request.args)
    report = statistics.report(session, user, filters)
    names = _names(report)
    flows = names["flows"]
    period_text = (
        f"{filters.start.isoformat() if filters.start else '…'} ~ "
        f"{filters.end.isoformat() if filters.end else '…'}"
    )
    sheets = [
        statistics.Sheet(
            _("概况"),
            [_("项目"), _("数值")],
            [
                [_("统计期间（受理日期）"), period_text],
                [_("流程"), flows.get(filters.process_key, filters.process_key or _("全部"))],
                [
                    _("地区"),
                    statistics.region_names(session, [filters.region]).get(filters.region)
                    or _("全部"),
                ],
                [
                    _("执法机关"),
                    group_names(session, [filters.bureau]).get(filters.bureau) or _("全部"),
                ],
                [_("生成时间"), report.generated_at],
                [_("生成人"), user.display_name or user.username],
                *(
                    [str(h), v]
                    for h, v in zip(TALLY_HEADERS, _tally_row("", report.totals)[1:], strict=True)
                ),
            ],
            widths=[26, 40],
        ),
        _tally_sheet(
            _("按流程"), _("流程"), [_tally_row(flows.get(t.key, t.key), t) for t in report.by_flow]
        ),
        _tally_sheet(
            _("按执法机关"),
            _("执法机关"),
            [
                _tally_row(names["bureaus"].get(t.key, t.key) if t.key else _("未指定"), t)
                for t in report.by_bureau
            ],
        ),
        _tally_sheet(
            _("按状态"), _("状态"), [_tally_row(status_name(t.key), t) for t in report.by_status]
        ),
        _tally_sheet(
            _("按地区"),
            _("地区"),
            [
                _tally_row(names["regions"].get(t.key, t.key) if t.key else _("未指定"), t)
                for t in report.by_region
            ],
        ),
        statistics.Sheet(
            _("按月"),
            [_("月份"), _("新增"), _("办结")],
            [[m.month.strftime("%Y-%m"), m.opened, m.closed] for m in report.by_month],
            widths=[12, 10, 10],
        ),
    ]
    if authz.has(user, Permission.CASE_READ) and report.scope.prefixes is not None:
        cases = statistics.case_list(session, user, filters)
        bureau_names = group_names(session, [c.bureau for c in cases])
        now = clock.now()
        sheets.append(
            statistics.Sheet(
                _("案件清单"),
                [
                    _("案件编号"),
                    _("案件名称"),
                    _("流程"),
                    _("执法机关"),
                    _("状态"),
                    _("受理时间"),
                    _("办结时间"),
                    _("期限"),
                    _("是否逾期"),
                    _("办理天数"),
                    _("满意度"),
                ],
                [
                    [
                        c.case_no or c.id,
                        c.title or "",
                        flows.get(c.process_key, c.process_key),
                        bureau_names.get(c.bureau, c.bureau or ""),
                        status_name(statistics.status_of(c)),
                        c.started_at,
                        c.ended_at,
                        c.due_at,
                        _("是") if c.overdue(now) else _("否"),
                        _days(c.handling_days),
                        str(SATISFACTION_LABELS.get(c.satisfaction, c.satisfaction or "")),
                    ]
                    for c in cases
                ],
                widths=[24, 40, 18, 22, 16, 18, 18, 18, 10, 10, 12],
            )
        )
    body = statistics.workbook(sheets)
    filename = f"{_('执法监督统计')}-{clock.local_now():%Y%m%d}.xlsx"
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": (
                f'attachment; filename="supervision-statistics-{clock.local_now():%Y%m%d}.xlsx"; '
                f"filename*=UTF-8''{quote(filename)}"
            ),
            "Cache-Control": "no-store",
        },
    )
