"""`tito status`: one table of what is built, released, submitted and graded per module.

"released" is what formgrader shows: the module is in nbgrader's exchange (outbound) for this
course. The gradebook is read once, read-only; sources are compared with the notebooks through
the build manifest (jupytext runs only for a module whose files changed since its last build).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..authoring import build_state, text_form
from ..authoring.build_state import BuildManifest, inputs_hash
from ..course_dir import CourseDir
from ..course_state import exchange_root, read_only_gradebook, released_modules

Scores = dict[str, dict[str, tuple[float, float]]]  # module -> student -> (score, max score)


@dataclass
class GradebookView:
    scores: Scores
    problem: str = ""


def read_scores(cd: CourseDir) -> GradebookView:
    """Every graded submission's score, from one read-only pass over the gradebook."""
    if not cd.gradebook.is_file():
        return GradebookView({})
    try:
        with read_only_gradebook(cd) as gb:
            return GradebookView({a.name: {s.student_id: (float(s.score), float(s.max_score)) for s in a.submissions}
                                  for a in gb.assignments})
    except Exception as e:  # noqa: BLE001 - status still reports the rest
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
        return GradebookView({}, f"gradebook {cd.gradebook} could not be read: {first}")


def source_state(cd: CourseDir, manifest: BuildManifest, module_id: str) -> str:
    if not cd.source_text(module_id).is_file():
        return "-"
    if manifest.in_sync_at_last_build(module_id):
        return "ok"
    return "drift" if text_form.drift(cd.source_text(module_id), cd.source_notebook(module_id)) else "ok"


def release_state(cd: CourseDir, manifest: BuildManifest, module_id: str, code: str) -> str:
    """ok, stale (its inputs changed since it was built: `tito build`), or - (not built)."""
    if not cd.release_notebook(module_id).is_file():
        return "-"
    built_from = manifest.modules.get(module_id, {}).get("inputs")
    if built_from and cd.source_text(module_id).is_file() and built_from != inputs_hash(cd, module_id, code):
        return "stale"
    return "ok"


def released_state(module_id: str, in_exchange: set[str], listed: tuple[str, ...]) -> str:
    if module_id in in_exchange:
        return "yes"
    return "listed" if module_id in listed else "no"


def status(cd: CourseDir) -> str:
    course = cd.course
    manifest, code = BuildManifest(cd), build_state.code_version()
    in_exchange = released_modules(cd)
    view = read_scores(cd)
    rows = [f"{course.title} ({course.course_id}); prerequisites graded from: {course.prerequisites_policy}",
            f"{'module':18} {'source':8} {'release':8} {'released':8} {'submitted':>9} {'graded':>6} {'mean':>6}"]
    for m in course.modules:
        scores = [score for score, _ in view.scores.get(m.id, {}).values()]
        mean = f"{sum(scores) / len(scores):.1f}" if scores else ""
        rows.append(f"{m.id:18} {source_state(cd, manifest, m.id):8} {release_state(cd, manifest, m.id, code):8} "
                    f"{released_state(m.id, in_exchange or set(), course.released):8} "
                    f"{len(cd.students_submitted(m.id)):>9} {len(scores):>6} {mean:>6}")
    rows += _release_notes(cd, in_exchange)
    if view.problem:
        rows += ["", view.problem]
    flagged = _flagged(cd)
    if flagged:
        rows.append("")
        rows.append("flagged by the judge (look at these; the score is what the code computed):")
        rows += flagged
    notes = _notes(cd, view.scores)
    if notes:
        rows.append("")
        rows.append("graded with a note (score and reason; also in `tito grades`):")
        rows += notes
    return "\n".join(rows)


def _release_notes(cd: CourseDir, in_exchange: set[str] | None) -> list[str]:
    course = cd.course
    exchange = exchange_root(cd)
    lines = [""]
    if in_exchange is None:
        lines.append(f"released: nothing; the exchange {exchange} is missing or not writable "
                     "(formgrader shows every module as draft)")
    else:
        lines.append(f"released: in the exchange {exchange / course.course_id / 'outbound'} (as formgrader shows it)")
    pending = [m for m in course.released if m not in (in_exchange or set())]
    if pending:
        lines.append(f"listed under `released:` in course.yml but not released yet: {', '.join(pending)} "
                     f"(`tito hub release {pending[0]}` on the hub, `tito release {pending[0]}` otherwise)")
    unlisted = sorted((in_exchange or set()) - set(course.released))
    if unlisted:
        lines.append(f"in the exchange but not under `released:` in course.yml: {', '.join(unlisted)}")
    return lines


def _notes(cd: CourseDir, scores: Scores) -> list[str]:
    from ..grading.grades import grading_notes

    lines = []
    for (module_id, student), why in sorted(grading_notes(cd).items()):
        found = scores.get(module_id, {}).get(student)
        score = f"{found[0]:g}/{found[1]:g}" if found else "-"
        lines.append(f"  {module_id:18} {student:24} {score:>10}  {why}")
    return lines


def _flagged(cd: CourseDir) -> list[str]:
    from ..grading.grades import integrity_notes

    return [f"  {module_id:18} {student:24}  integrity: {why}"
            for (module_id, student), why in sorted(integrity_notes(cd).items())]
