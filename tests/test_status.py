"""`tito status`, `tito doctor` and the incremental `tito build`: the course they report on, what
formgrader calls released, the gradebook's due dates and student names, and no-change runs that
start no nbgrader app."""
from __future__ import annotations

import datetime as dt
import getpass
import os
import pwd
import shutil
from pathlib import Path

import pytest

from conftest import tito


@pytest.fixture
def course(built_course, tmp_path) -> Path:
    """A private copy of the built course (its build manifest and gradebook included)."""
    root = tmp_path / "course"
    shutil.copytree(built_course, root, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback", ".tito"))
    return root


@pytest.fixture
def exchange(tmp_path) -> dict:
    folder = tmp_path / "exchange"
    folder.mkdir(mode=0o777)
    folder.chmod(0o1777)
    return {"TINYTORCH_EXCHANGE": str(folder)}


def rows(out: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in out.splitlines() if line[:2].isdigit()}


def deadline(module_id: str) -> dt.datetime:
    from tinytorch_runtime.course import load_course

    when = load_course(Path(__file__).resolve().parents[1] / "course.yml").deadlines[module_id]
    return when.astimezone(dt.timezone.utc).replace(tzinfo=None)


def gradebook(root: Path):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{root / 'gradebook.db'}", "tinytorch")


# --- build -------------------------------------------------------------------------------------

@pytest.fixture
def same_build_code(course, monkeypatch):
    """The build code the course was built with: tito files edited by others while the suite runs
    must not count as a change here (code_version's own effect is tested below)."""
    from tito.authoring import build_state
    from tito.course_dir import CourseDir

    recorded = build_state.BuildManifest(CourseDir(course)).code
    assert recorded, "built_course has no build manifest"
    monkeypatch.setattr(build_state, "code_version", lambda: recorded)


def test_a_build_with_nothing_changed_starts_no_nbgrader_app(course, same_build_code, monkeypatch):
    from tito.authoring import build as build_module
    from tito.authoring import text_form
    from tito.course_dir import CourseDir

    def no_app(*args, **kwargs):
        raise AssertionError(f"nbgrader started: {args}")

    monkeypatch.setattr(build_module, "run_app", no_app)
    monkeypatch.setattr(text_form, "notebook_from_text", no_app)  # nor jupytext
    release_before = {p: p.read_bytes() for p in (course / "release").rglob("*.ipynb")}
    said = []
    build_module.build(CourseDir(course), log=said.append)
    everything = ", ".join(CourseDir(course).authored_modules())
    assert said == [f"  unchanged since the last build (--force rebuilds): {everything}"]
    assert {p: p.read_bytes() for p in (course / "release").rglob("*.ipynb")} == release_before


def test_a_changed_module_is_rebuilt_and_only_it(course, same_build_code):
    from tito.authoring.build import build
    from tito.course_dir import CourseDir
    from tito.reporting.status import status

    cd = CourseDir(course)
    text = cd.source_text("02_activations")
    new_cell = "# %% [markdown]\n# TT_MARKER note\n\n"
    text.write_text(text.read_text().replace("# %% [markdown]\n", new_cell + "# %% [markdown]\n", 1))
    (cd.reference_dir / "tinytorch" / "layers.py").unlink()  # an output gone: 03 is rebuilt too

    before = rows(status(cd))
    assert before["02_activations"][:2] == ["drift", "stale"], before["02_activations"]
    assert before["01_tensor"][:2] == ["ok", "ok"]

    said = []
    build(cd, log=said.append)
    rebuilt = {line.split(":")[0].strip() for line in said if "are up to date" in line}
    assert rebuilt == {"02_activations", "03_layers"}, said
    assert "TT_MARKER note" in cd.release_notebook("02_activations").read_text()
    after = rows(status(cd))
    assert all(after[m][:2] == ["ok", "ok"] for m in cd.authored_modules()), after

    said = []
    build(cd, ["01_tensor"], log=said.append, force=True)
    assert said == ["  01_tensor: release/01_tensor/01_tensor.ipynb and the reference tinytorch.tensor are up to date"]


def test_the_build_code_is_what_tito_build_imports():
    import subprocess
    import sys

    from tito.authoring.build_state import build_code

    loaded = subprocess.run([sys.executable, "-c", "import sys, tito.authoring.build; "
                             "print('\\n'.join(m.__file__ for n, m in "
                             "sys.modules.items() if n.split('.')[0] in ('tito', 'tinytorch_runtime')))"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert sorted(Path(p).resolve() for p in loaded) == [p.resolve() for p in build_code()]


def test_the_build_inputs_cover_code_config_and_the_modules_course_entry(course):
    from tito.authoring.build_state import inputs_hash
    from tito.course_dir import CourseDir

    def hashes(code="code"):
        return {m: inputs_hash(CourseDir(course), m, code) for m in ("02_activations", "04_losses")}

    first = hashes()
    other_code = hashes("other code")
    assert all(other_code[m] != first[m] for m in first)
    yml = course / "course.yml"
    yml.write_text(yml.read_text().replace("title: Losses,", "title: Loss functions,", 1))
    retitled = hashes()
    assert retitled["04_losses"] != first["04_losses"] and retitled["02_activations"] == first["02_activations"]
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + "\n# changed\n")
    assert all(hashes()[m] != retitled[m] for m in retitled)


# --- status and doctor -------------------------------------------------------------------------

def test_status_counts_what_the_gradebook_holds_without_jupytext(course, monkeypatch):
    from tito.authoring import text_form
    from tito.course_dir import CourseDir
    from tito.reporting.status import status

    with gradebook(course) as gb:
        for student in ("s1", "s2"):
            gb.add_student(student)
            sub = gb.add_submission("03_layers", student)
        grade = sub.notebooks[0].grades[0]
        grade.auto_score = grade.max_score
        gb.db.commit()
        expected = sorted(s.score for s in gb.assignment_submissions("03_layers"))

    monkeypatch.setattr(text_form, "drift", lambda *a: pytest.fail("jupytext ran for an unchanged module"))
    row = rows(status(CourseDir(course)))["03_layers"]
    # the copied gradebook also holds whatever earlier tests graded (the e2e cohort) in the shared course
    assert row[-2:] == [str(len(expected)), f"{sum(expected) / len(expected):.1f}"] and max(expected) > 0, row


def test_release_and_collect_agree_with_formgrader_and_register_due_date_and_names(course, exchange, tmp_path):
    import subprocess
    import sys

    from nbgrader.apps.api import NbGraderAPI  # formgrader's own view of the same folders
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    assert rows(tito("status", cwd=course, env=exchange).stdout)["01_tensor"][2] == "listed"  # nothing released yet
    tito("release", "01_tensor", cwd=course, env=exchange)
    with gradebook(course) as gb:
        assert gb.find_assignment("01_tensor").duedate == deadline("01_tensor")

    home = tmp_path / "student"
    home.mkdir()
    for step in ("fetch_assignment", "submit"):
        subprocess.run([sys.executable, "-m", "nbgrader", step, "01_tensor", "--course=tinytorch",
                        f"--Exchange.root={exchange['TINYTORCH_EXCHANGE']}"], cwd=home, check=True,
                       capture_output=True, env={**os.environ, **exchange})
    # collected as formgrader's Collect button does (nbgrader's API with the course's configuration)
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    cfg.merge(Config({"CourseDirectory": {"root": str(course), "course_id": "tinytorch"},
                      "Exchange": {"root": exchange["TINYTORCH_EXCHANGE"], "path_includes_course": True}}))
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    collected = api.collect("01_tensor")
    assert collected["success"], collected
    me = getpass.getuser()
    full = pwd.getpwnam(me).pw_gecos.split(",")[0].strip()
    with gradebook(course) as gb:
        student = gb.find_student(me)
        assert " ".join(filter(None, (student.first_name, student.last_name))) == full

    out = tito("status", cwd=course, env=exchange).stdout
    table = rows(out)
    assert [table[m][2] for m in ("01_tensor", "02_activations", "03_layers")] == ["yes", "listed", "no"], out
    assert table["01_tensor"][3] == "1" and "not released yet: 02_activations" in out
    assert {m for m, row in table.items() if row[2] == "yes"} == api.get_released_assignments()


def test_doctor_fails_with_a_fix_per_failed_check(course, tmp_path):
    proc = tito("doctor", cwd=course, check=False, env={"TINYTORCH_EXCHANGE": str(tmp_path / "nowhere")})
    lines = proc.stdout.splitlines()
    assert proc.returncode == 1, proc.stdout
    failed = [i for i, line in enumerate(lines) if line.startswith("NO ")]
    assert failed and all(lines[i + 1].startswith("    fix: ") for i in failed), proc.stdout
    assert any(line.startswith("NO  exchange writable") and str(tmp_path / "nowhere") in line for line in lines)


def test_explicit_course_wins_and_is_named(course, tmp_path):
    out = tito("status", "--course", str(course), cwd=tmp_path).stdout
    assert out.splitlines()[0] == f"course: {course}"
    assert len(rows(out)) == 20


# --- the embedded hub ----------------------------------------------------------------------------

def test_status_and_doctor_in_the_checkout_report_on_the_hubs_course(hub):
    from hub_harness import OTHER, STUDENT

    from tito.course_dir import CourseDir
    from tito.hub import embedded as hub_module

    hub_module.add_user(hub.root, STUDENT, password=hub.passwords[STUDENT], full_name="Alice Liddell")
    work = f"/home/{STUDENT}/status-test"  # a folder of its own: other tests may have fetched 01 already
    hub.as_user(STUDENT, "mkdir", "-p", work, check=True)
    no_hub_auth = ["--Authenticator.plugin_class=nbgrader.auth.NoAuthPlugin", "--course=tinytorch"]
    for step in ("fetch_assignment", "submit"):
        r = hub.as_user(STUDENT, "nbgrader", step, "01_tensor", *no_hub_auth, cwd=work)
        assert r.returncode == 0, r.stdout + r.stderr
    hub_module.run_as_grader(hub.root, "tito", "collect", "01_tensor")
    hub_module.register_in_gradebook(hub.root)  # what `tito hub start` does first

    graded = hub.root / "grader" / "course"
    with gradebook(graded) as gb:
        alice = gb.find_student(STUDENT)
        assert (alice.first_name, alice.last_name) == ("Alice", "Liddell")
        assert gb.find_student(OTHER).id == OTHER  # on the roster: registered before submitting
        assert gb.find_assignment("01_tensor").duedate == deadline("01_tensor")
    assert (graded / "gradebook.db").stat().st_uid == pwd.getpwnam(hub_module.grader_account()).pw_uid

    out = tito("status", cwd=hub.course).stdout
    assert out.splitlines()[0].startswith(f"course: {graded} (the hub's")
    table = rows(out)
    assert table["01_tensor"][2:4] == ["yes", str(len(CourseDir(graded).students_submitted("01_tensor")))]
    assert table["02_activations"][2] == "listed"
    assert str(hub.root / "exchange") in out

    doctor = tito("doctor", cwd=hub.course, check=False).stdout
    assert ["ok", "exchange", "writable", str(hub.root / "exchange")] in [line.split() for line in
                                                                           doctor.splitlines()], doctor
    assert tito("status", "--course", str(hub.course), cwd=hub.course).stdout.splitlines()[0] == \
        f"course: {hub.course}"
