"""Every module's mistake catalogue is caught where it says (`tito check --mistakes`), and the
checker itself reports a catalogue that lies."""
from __future__ import annotations

import shutil

import pytest
import yaml

from tito.authoring import mistakes
from tito.course_dir import CourseDir

from conftest import tito


def test_every_catalogued_mistake_is_caught_where_it_says(built_course, module_ids):
    proc = tito("check", "--mistakes", cwd=built_course, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    for m in module_ids:
        caught = [line for line in proc.stdout.splitlines() if line.startswith(f"ok  {m} ")]
        assert len(caught) >= mistakes.MIN_ENTRIES, f"{m}: {len(caught)} mistakes checked"


@pytest.fixture()
def scratch(built_course, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(built_course, root, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback", ".tito"))
    return CourseDir(root)


def _first_step(cd: CourseDir, module_id: str) -> dict:
    return mistakes.load(cd, module_id)[0]


def test_a_catalogue_that_claims_too_much_is_reported(scratch):
    module_id = "02_activations"
    entry = dict(_first_step(scratch, module_id))
    path = mistakes.catalogue_path(scratch, module_id)
    harmless = {**entry, "mistake": "a harmless rewrite", "caught_by": "visible",
                "replace": "result = " + "0" + "\nreturn Tensor(np.maximum(x.data, 0))"}
    honest = mistakes.load(scratch, module_id)
    relu = next(e for e in honest if e["step"] == "relu")
    path.write_text(yaml.safe_dump([*honest, {**relu, **{k: harmless[k] for k in ("mistake", "caught_by", "replace")}}]))
    results, problems = mistakes.check_module(scratch, module_id)
    assert any("a harmless rewrite -> caught not caught" in p for p in problems), problems


def test_a_short_catalogue_and_a_broken_entry_are_reported(scratch):
    module_id = "02_activations"
    path = mistakes.catalogue_path(scratch, module_id)
    entry = _first_step(scratch, module_id)
    path.write_text(yaml.safe_dump([entry, {"step": "no-such-cell", "mistake": "x", "caught_by": "visible",
                                            "replace": "pass"}]))
    _, problems = mistakes.check_module(scratch, module_id)
    assert any("2 catalogued mistakes, at least 5" in p for p in problems)
    assert any("no solution cell with grade_id 'no-such-cell'" in p for p in problems)
