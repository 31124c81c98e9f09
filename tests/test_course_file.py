import textwrap

import pytest

from tinytorch_runtime.course import CourseFileError, load_course

from conftest import REPO

VALID = """
course_id: demo
modules:
  - {id: 01_base, title: Base, tier: foundation}
  - {id: 02_addon, title: Addon, tier: foundation, requires: [01_base], extends: [01_base]}
released: [01_base]
provided_references: [01_base]
grading: {prerequisites: own}
deadlines: {01_base: 2027-01-01T12:00:00+00:00}
"""


def write(tmp_path, text):
    path = tmp_path / "course.yml"
    path.write_text(textwrap.dedent(text))
    return path


def test_the_real_course_file_has_twenty_modules_in_order():
    course = load_course(REPO / "course.yml")
    assert len(course.modules) == 20
    assert course.module_ids[0] == "01_tensor" and course.module_ids[-1] == "20_capstone"
    assert [m.index for m in course.modules] == list(range(20))
    assert course.module("05_autograd").extends == ("01_tensor", "02_activations")
    assert course.prerequisites_policy == "reference"


def test_valid_file_round_trip(tmp_path):
    course = load_course(write(tmp_path, VALID))
    assert course.module("02_addon").name == "addon"
    assert course.module("02_addon").import_path == "tinytorch.addon"
    assert [m.id for m in course.extenders_of("01_base")] == ["02_addon"]
    assert course.prerequisites_policy == "own"
    assert course.deadlines["01_base"].year == 2027


@pytest.mark.parametrize("change, key", [
    (("course_id: demo", "course_id: 'bad id!'"), "course_id"),
    (("id: 02_addon", "id: 2_addon"), "modules[1].id"),
    (("tier: foundation, requires", "tier: basement, requires"), "modules[1].tier"),
    (("requires: [01_base]", "requires: [03_later]"), "modules[1].requires"),
    (("released: [01_base]", "released: [09_nope]"), "released"),
    (("prerequisites: own", "prerequisites: sometimes"), "grading.prerequisites"),
    (("01_base: 2027-01-01T12:00:00+00:00", "01_base: next tuesday"), "deadlines.01_base"),
    (("title: Base,", "titel: Base,"), "modules[0].title"),
])
def test_invalid_file_names_the_key(tmp_path, change, key):
    with pytest.raises(CourseFileError) as err:
        load_course(write(tmp_path, VALID.replace(*change)))
    assert f"key '{key}'" in str(err.value)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(CourseFileError, match="not found"):
        load_course(tmp_path / "nope.yml")
    with pytest.raises(CourseFileError, match="not valid YAML"):
        load_course(write(tmp_path, "modules: [unclosed"))
