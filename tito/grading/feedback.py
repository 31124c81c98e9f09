"""Feedback that shows students their results but never the hidden tests.

nbgrader 0.9's GenerateFeedback renders the autograded notebook, whose test cells hold
the restored hidden tests, and their tracebacks quote the failing hidden lines. This
preprocessor (configured in nbgrader_config.py) removes hidden-test regions from test
cells and reduces their error outputs to the error's type and message.
"""
from __future__ import annotations

from pathlib import Path

from nbgrader.preprocessors import ClearHiddenTests
from nbgrader.preprocessors import GetGrades as NbGraderGetGrades
from traitlets import List

from ..course_dir import CourseDir
from ..nbgrader_apps import run_app

# tito's feedback template (extends nbgrader's; nbgrader_config.py selects it).
TEMPLATES = Path(__file__).resolve().with_name("templates")


class GetGrades(NbGraderGetGrades):
    """nbgrader's GetGrades, plus which answers wait for a person: before a TA grades a written
    answer its score is 0, which nbgrader's feedback page showed as "Score: 0.0 / 5.0". Such cells
    get `awaiting_grading` in their nbgrader metadata and the page says "awaiting grading"."""

    def preprocess(self, nb, resources):
        self._awaiting_points = 0.0
        nb, resources = super().preprocess(nb, resources)
        resources["nbgrader"]["awaiting_points"] = self._awaiting_points
        return nb, resources

    def _get_score(self, cell, resources):
        super()._get_score(cell, resources)
        grade = self.gradebook.find_grade(cell.metadata.nbgrader["grade_id"], self.notebook_id,
                                          self.assignment_id, self.student_id)
        awaiting = bool(grade.needs_manual_grade) and grade.manual_score is None
        cell.metadata.nbgrader["awaiting_grading"] = awaiting
        if awaiting:
            self._awaiting_points += float(grade.max_score)


class HideHiddenTests(ClearHiddenTests):
    enforce_metadata = False
    # nbconvert's HTMLExporter configures display_data_priority for every preprocessor; nbgrader's base
    # class redeclares it as not configurable, so traitlets warned "Config option `display_data_priority`
    # not recognized by `HideHiddenTests`" (nbgrader's GetGrades declares it configurable, as here). Unused.
    display_data_priority = List().tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        had_hidden = self._remove_hidden_test_region(cell)
        if had_hidden and cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources


def generate(cd: CourseDir, module_id: str, release_to_exchange: bool = False) -> list[str]:
    """nbgrader generate_feedback (and release_feedback); the feedback files written."""
    run_app(cd, "generate_feedback", module_id, "--force")
    if release_to_exchange:
        run_app(cd, "release_feedback", module_id)
    return sorted(str(p.relative_to(cd.root)) for p in (cd.root / "feedback").glob(f"*/{module_id}/*.html"))
