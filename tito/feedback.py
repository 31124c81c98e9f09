"""Feedback that shows students their results but never the hidden tests.

nbgrader 0.9's GenerateFeedback renders the autograded notebook, whose test cells hold
the restored hidden tests, and their tracebacks quote the failing hidden lines. This
preprocessor (configured in nbgrader_config.py) removes hidden-test regions from test
cells and reduces their error outputs to the error's type and message.
"""
from __future__ import annotations

from nbgrader.preprocessors import ClearHiddenTests

from .course_dir import CourseDir
from .nbgrader_apps import run_app


class HideHiddenTests(ClearHiddenTests):
    enforce_metadata = False

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
