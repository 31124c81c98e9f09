"""The cohort report as one self-contained HTML page: matplotlib figures as PNG data URIs, inline
CSS, no script, no external asset; every name and text from the gradebook or a notebook escaped.
Each figure is followed by the table of the numbers it shows."""
from __future__ import annotations

import base64
import io
from html import escape

from .report import PASSING_FRACTION, PASSING_RULE, CohortReport

# The page needs nothing but its own inline style and data: images: the file says so itself, and
# the formgrader service (tito/reporting/report_server.py) sends it with frame-ancestors (ignored in a <meta>).
PAGE_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
CONTENT_SECURITY_POLICY = PAGE_POLICY + "; frame-ancestors 'none'"

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;height:auto;display:block;margin:.6rem 0}
.note{color:#555;font-size:.9rem}.none{color:#777;font-style:italic}
"""
COLOURS = {"submitted": "#9ecae1", "graded": "#4292c6", "passing": "#08519c"}


# ----------------------------------------------------------------------------- figures

def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)  # laid out by the constrained engine: one draw, not two
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(width: float, height: float):
    from matplotlib.figure import Figure  # the object API: no pyplot state, safe in a server thread

    return Figure(figsize=(width, height), layout="constrained")


def completion_figure(report: CohortReport) -> str:
    rows = report.modules
    fig = _figure(9, 1.2 + 0.38 * len(rows))
    ax = fig.subplots()
    students = max(len(report.students), 1)
    y = list(range(len(rows)))
    height = 0.27
    for offset, key in zip((-height, 0, height), ("submitted", "graded", "passing")):
        bars = ax.barh([v + offset for v in y], [100 * getattr(r, key) / students for r in rows], height=height,
                       color=COLOURS[key], label=key)
        ax.bar_label(bars, labels=[str(getattr(r, key)) for r in rows], padding=2, fontsize=7)
    ax.set_yticks(y, [r.module for r in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, 109)  # room for the count labels of full bars
    ax.set_xlabel(f"% of the {len(report.students)} students")
    fig.legend(loc="outside upper center", ncols=3, fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def distribution_figure(report: CohortReport) -> str:
    rows = [r for r in report.modules if r.auto_percents]
    fig = _figure(9, 1.2 + 0.38 * max(len(rows), 1))
    ax = fig.subplots()
    if rows:
        ax.boxplot([r.auto_percents for r in rows], vert=False, widths=0.6, showmeans=True,
                   tick_labels=[r.module for r in rows])
        ax.invert_yaxis()
    else:
        ax.text(50, 0.5, "nothing graded yet", ha="center", va="center")
        ax.set_yticks([])
    ax.axvline(100 * PASSING_FRACTION, color="#c33", linestyle="--", linewidth=1, label="passing")
    ax.set_xlim(-2, 102)
    ax.set_xlabel("automatic score (% of the module's test-cell points); triangle = mean")
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def hardest_figure(report: CohortReport) -> str:
    tests = report.hardest
    fig = _figure(9, 1.2 + 0.32 * max(len(tests), 1))
    ax = fig.subplots()
    if tests:
        bars = ax.barh(range(len(tests)), [100 * t.pass_rate for t in tests], color="#d94801")
        ax.bar_label(bars, labels=[f"{t.passed}/{t.graded}" for t in tests], padding=2, fontsize=7)
        ax.set_yticks(range(len(tests)), [f"{t.module} / {t.grade_id}" for t in tests])
        ax.invert_yaxis()
    else:
        ax.set_yticks([])
        ax.text(50, 0.5, "nothing graded yet", ha="center", va="center")
    ax.set_xlim(0, 109)
    ax.set_xlabel("pass rate (% of graded submissions earning the cell's full points)")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


# ----------------------------------------------------------------------------- tables

def _table(table_id: str, header: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(f'<td class="num">{escape(str(v))}</td>' if i in numeric else f"<td>{escape(str(v))}</td>"
                        for i, v in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _none(text: str) -> str:
    return f'<p class="none">{escape(text)}</p>'


def _when(value) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"


def _student(report: CohortReport, student: str) -> str:
    name = report.name(student)
    return f"{student} ({name})" if name else student


def completion_section(report: CohortReport) -> str:
    rows = [[r.module, r.title, "yes" if r.released else "no", _when(r.deadline), r.students, r.submitted,
             r.graded, r.passing, r.late, r.awaiting_manual, r.flagged] for r in report.modules]
    table = _table("completion", ["module", "title", "released", "deadline (UTC)", "students", "submitted", "graded",
                                  "passing", "late", "awaiting manual grading", "flagged"], rows,
                   numeric=set(range(4, 11)))
    return (f'<h2>Completion per module</h2><img id="fig-completion" alt="completion per module" '
            f'src="{completion_figure(report)}">{table}'
            '<p class="note">submitted: collected or graded; graded: autograded (in the gradebook); '
            'late: after the deadline plus any extension granted in formgrader.</p>')


def distribution_section(report: CohortReport) -> str:
    rows = []
    for r in report.modules:
        d = r.distribution()
        if d:
            rows.append([r.module, d["n"], *(f"{d[k]:.1f}" for k in ("mean", "min", "q1", "median", "q3", "max"))])
    table = _table("scores", ["module", "graded", "mean %", "min %", "Q1 %", "median %", "Q3 %", "max %"], rows,
                   numeric=set(range(1, 8))) if rows else _none("nothing graded yet")
    return (f'<h2>Score distributions</h2><img id="fig-scores" alt="automatic score distribution per module" '
            f'src="{distribution_figure(report)}">{table}')


def hardest_section(report: CohortReport) -> str:
    rows = [[t.module, t.grade_id, f"{t.points:g}", f"{100 * t.pass_rate:.1f}", f"{t.passed}/{t.graded}",
             t.description] for t in report.hardest]
    table = _table("hardest", ["module", "grade id", "points", "pass rate %", "passed", "what it checks"], rows,
                   numeric={2, 3, 4}) if rows else _none("nothing graded yet")
    return (f'<h2>Hardest test cells</h2><img id="fig-hardest" alt="lowest pass rates by test cell" '
            f'src="{hardest_figure(report)}">{table}'
            '<p class="note">What each cell checks is the first comment or message of the cell as released '
            'to students.</p>')


def risk_section(report: CohortReport) -> str:
    window = ", ".join(report.risk_modules) or "no released module"
    rows = [[_student(report, r.student), "; ".join(r.problems)] for r in report.at_risk]
    table = _table("at-risk", ["student", "why"], rows) if rows else _none("nobody")
    return (f"<h2>Students at risk</h2><p>Missing (once the deadline has passed) or failing one of the last "
            f"released modules: {escape(window)}.</p>{table}")


def late_section(report: CohortReport) -> str:
    rows = [[e.module, _student(report, e.student), _when(e.timestamp), _when(e.deadline), f"{e.hours_late:.1f}"]
            for e in report.late]
    table = _table("late", ["module", "student", "submitted (UTC)", "deadline (UTC)", "hours late"], rows,
                   numeric={4}) if rows else _none("none")
    return f"<h2>Late submissions</h2>{table}"


def flags_section(report: CohortReport) -> str:
    rows = [[f.module, _student(report, f.student), f.score, f.reason] for f in report.flags]
    table = _table("flags", ["module", "student", "score", "why"], rows) if rows else _none("none")
    return ("<h2>Integrity flags</h2><p>Submissions the judge flagged (docs/grading.md): the score is what the "
            "code computed; open the submission in formgrader to look at it.</p>" + table)


def render(report: CohortReport) -> str:
    title = f"Cohort report: {report.title}"
    intro = (f"<p>{len(report.students)} students; as of {_when(report.as_of)} UTC. "
             f"<b>Passing</b> = {escape(PASSING_RULE)}.</p>")
    sections = [completion_section(report), distribution_section(report), hardest_section(report),
                risk_section(report), late_section(report), flags_section(report)]
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{PAGE_POLICY}\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{escape(title)}</h1>{intro}{''.join(sections)}</body></html>")
