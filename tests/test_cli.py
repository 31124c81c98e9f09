"""The CLI's everyday commands and its error messages."""
from __future__ import annotations

from conftest import REPO, tito


def test_unknown_module_is_a_one_line_error(built_course):
    proc = tito("autograde", "99_nothing", cwd=built_course, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("tito autograde: unknown module '99_nothing'; the course has: 01_tensor")
    assert "Traceback" not in proc.stderr


def test_outside_a_course_says_so(tmp_path):
    proc = tito("status", cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "no course here" in proc.stderr


def test_autograde_before_build_says_what_to_run(tmp_path):
    from conftest import copy_course

    root = copy_course(tmp_path / "c")
    proc = tito("autograde", "01_tensor", cwd=root, check=False)
    assert proc.returncode == 2 and "run `tito build 01_tensor` first" in proc.stderr


def test_release_refuses_modules_not_released_in_course_file(built_course):
    proc = tito("release", "20_capstone", cwd=built_course, check=False)
    assert proc.returncode == 2 and "not listed under `released:`" in proc.stderr


def test_status_lists_every_module(built_course):
    out = tito("status", cwd=built_course).stdout.splitlines()
    rows = [line for line in out if line[:2].isdigit()]
    assert len(rows) == 20
    first = rows[0].split()
    # release: "stale" when tito's build code changed since built_course was built (tests/test_status.py)
    assert first[:2] == ["01_tensor", "ok"] and first[2] in ("ok", "stale") and first[3] == "listed"
    assert rows[-1].split()[0] == "20_capstone" and rows[-1].split()[3] == "no"


def test_doctor_checks_the_environment(built_course, tmp_path):
    proc = tito("doctor", cwd=built_course, check=False, env={"TINYTORCH_EXCHANGE": str(tmp_path)})
    lines = proc.stdout.splitlines()
    assert any(line.startswith("ok  nbgrader installed") for line in lines), proc.stdout
    assert any(line.startswith("ok  course.yml valid") for line in lines)
    assert any(line.startswith("ok  references built") for line in lines)
    assert proc.returncode == 0, proc.stdout


def test_help_lists_the_commands():
    out = tito("--help", cwd=REPO).stdout
    for command in ("build", "check", "release", "collect", "autograde", "feedback", "grades", "status", "doctor"):
        assert command in out


def test_hub_adduser_sets_a_password_read_from_stdin(monkeypatch, tmp_path, capsys):
    """`tito hub adduser NAME --password-stdin` added nobody (the call sat in the branch of a
    conditional expression that --password-stdin skipped); the password is not printed back."""
    import io

    from tito import cli
    from tito.hub import embedded

    calls = []
    monkeypatch.setattr(embedded, "add_user", lambda root, name, **k: calls.append((name, k["password"])) or "x")
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pass\n"))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--course-dir", str(REPO), "hub", "adduser", "ada", "--password-stdin",
                     "--root", str(tmp_path)]) == 0
    assert calls == [("ada", "s3cret-pass")] and "s3cret-pass" not in capsys.readouterr().out


def test_adding_a_user_again_keeps_their_role(monkeypatch, tmp_path):
    from tito.hub import embedded

    monkeypatch.setattr(embedded, "_require_root", lambda: None)
    monkeypatch.setattr(embedded, "ensure_user", lambda *a, **k: False)
    embedded.add_user(tmp_path, "prof", instructor=True)
    embedded.add_user(tmp_path, "ada")
    embedded.add_user(tmp_path, "prof", password="new")       # a new password, not a new student
    embedded.add_user(tmp_path, "ada", password="new")
    assert embedded.Roster.load(tmp_path) == embedded.Roster(instructors=["prof"], students=["ada"])
    embedded.add_user(tmp_path, "ada", instructor=True)        # promoted
    assert embedded.Roster.load(tmp_path) == embedded.Roster(instructors=["ada", "prof"], students=[])
