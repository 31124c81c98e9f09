"""tito: run the TinyTorch course (a thin CLI over nbgrader's own apps).

  tito build [MODULE...]        text form -> notebooks, validate, generate release/ and references
  tito check [MODULE...]        validate sources (drift, metadata) without writing anything
  tito sync --from-notebook M   after editing source/M/M.ipynb in Jupyter, rewrite M.py from it
  tito run-source MODULE        execute a source notebook top to bottom with its solutions
  tito release MODULE           release to the exchange (nbgrader release_assignment)
  tito collect MODULE           collect submissions (nbgrader collect)
  tito autograde MODULE...      grade every submission (workers, progress, resumable)
  tito feedback MODULE          feedback HTML without hidden tests (+ --release to the exchange)
  tito grades                   grades.csv (nbgrader) and grades_lms.csv (one row per student)
  tito status                   what is built, submitted, graded
  tito report                   the cohort report: one HTML page (figures) and a terminal summary
  tito doctor                   check this machine can run the course
  tito demo                     build, grade a simulated cohort, print the grade table
  tito workshop MODULE          a course folder releasing only MODULE, its prerequisites as references
  tito hub setup|adduser|release|start   the embedded JupyterHub (see docs/hub.md)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from tinytorch_runtime.course import CourseFileError

from .course_dir import CourseDir, CourseError


def _cmd_build(cd, args):
    from .authoring.build import build

    build(cd, args.modules or None, force=args.force)
    print("build: done")


def _cmd_check(cd, args):
    from .authoring.build import check

    problems = check(cd, args.modules or None)
    if args.mistakes and not problems:
        from .authoring.build import check_mistakes

        problems = check_mistakes(cd, args.modules or None, show_messages=args.messages)
    for p in problems:
        print(p)
    print(f"check: {len(problems)} problem(s)")
    return 1 if problems else 0


def _cmd_sync(cd, args):
    import nbformat

    from .authoring.text_form import text_from_notebook

    nb = nbformat.read(cd.source_notebook(args.module), as_version=4)
    cd.source_text(args.module).write_text(text_from_notebook(nb))
    print(f"sync: wrote source/{args.module}/{args.module}.py from the notebook; now run `tito build`")


def _cmd_run_source(cd, args):
    from .authoring.execution import run_source

    seconds = run_source(cd, args.module)
    print(f"run-source: {args.module} ran top to bottom with solutions in {seconds:.1f} s")


def _cmd_release(cd, args):
    from .nbgrader_apps import run_app

    if args.module not in cd.course.released:
        raise CourseError(f"{args.module} is not listed under `released:` in course.yml")
    run_app(cd, "release_assignment", args.module, "--force")
    _register(cd, args.module, "release")
    print(f"release: {args.module} is in the exchange")


def _register(cd, module_id: str, command: str) -> None:
    """The module's deadline and the students' names into the gradebook (formgrader shows them)."""
    from .grading.registration import register_module

    try:
        register_module(cd, module_id, cd.students_submitted(module_id))
    except Exception as e:  # noqa: BLE001 - the release or collect itself has succeeded
        print(f"{command}: could not register the deadline and student names in the gradebook: {e}",
              file=sys.stderr)


def _cmd_collect(cd, args):
    from .nbgrader_apps import run_app

    from .grading.submission import dropped_folder, summarise

    run_app(cd, "collect", args.module, "--update")  # registers the deadline and names (SafeCollect)
    for student in cd.students_submitted(args.module):
        try:
            dropped = json.loads((dropped_folder(cd, args.module, student) / "dropped.json").read_text())["collect"]
        except (FileNotFoundError, ValueError, KeyError):
            continue
        print(f"collect: {student}: {summarise(dropped)} (not copied; links are never followed)")
    print(f"collect: {len(cd.students_submitted(args.module))} submission(s) of {args.module} in submitted/")


def _cmd_autograde(cd, args):
    from .grading.batch import autograde_modules, summary

    if args.cell_timeout:
        os.environ["TINYTORCH_CELL_TIMEOUT"] = str(args.cell_timeout)  # read by nbgrader_config.py
    by_module = autograde_modules(cd, args.modules, students=args.student or None, jobs=args.jobs,
                                  force=args.force, progress=not args.no_progress, unsafe=args.unsafe,
                                  notebook_timeout=args.notebook_timeout)
    for module, outcomes in by_module.items():
        prefix = f"{module}: " if len(by_module) > 1 else ""
        for o in outcomes:
            if o.status == "skipped":
                print(prefix + o.line())
        print(prefix + summary(outcomes))
    return 1 if any(o.status in ("failed", "error") for found in by_module.values() for o in found) else 0


def _cmd_feedback(cd, args):
    from .grading.feedback import generate

    files = generate(cd, args.module, release_to_exchange=args.release)
    print(f"feedback: {len(files)} file(s) for {args.module} in feedback/")


def _cmd_grades(cd, args):
    from .grading.grades import export

    out = Path(args.out)
    a, b = export(cd, out, args.module or None)
    print(f"grades: {a} (nbgrader) and {b} (LMS)")


def _reported_course(cd, args):
    """status/doctor/report: --course (or --course-dir) wins; else the hub's course when this checkout
    feeds a hub. Says which folder it reports on."""
    from .hub.embedded import course_to_report

    chosen, line = course_to_report(cd, explicit=bool(args.course or args.course_dir))
    print(line)
    return chosen


def _cmd_status(cd, args):
    from .reporting.status import status

    print(status(_reported_course(cd, args)))


def _cmd_report(cd, args):
    from .reporting.report import parse_when, summary, write_report

    as_of = parse_when(args.as_of) if args.as_of else None
    report, out = write_report(_reported_course(cd, args), Path(args.out), as_of)
    print(summary(report, out.resolve()))


def _cmd_doctor(cd, args):
    from .doctor import doctor

    ok = doctor(_reported_course(cd, args))
    return 0 if ok else 1


def _cmd_milestone(cd, args):
    from .milestone import run

    return run(cd, args.name, args.args)


def _cmd_demo(cd, args):
    from .demo import demo

    demo(cd, jobs=args.jobs)


def _cmd_workshop(cd, args):
    from .hub.workshop import write

    ws = write(cd, args.module, Path(args.dest) if args.dest else None)
    print(f"workshop: {ws.dest}: releases {ws.module} only; students import the references of "
          f"{', '.join(ws.provided) or 'no earlier module'} ({ws.module}'s own stays with the instructor)")
    print(f"  on the embedded hub: bash scripts/main.sh --workshop {ws.module}\n"
          f"  or by hand: tito --course-dir {ws.dest} hub setup --demo && "
          f"tito --course-dir {ws.dest} hub release {ws.module} && tito hub start")


def _cmd_hub(cd, args):
    from .hub import embedded

    root = Path(args.root) if args.root else embedded.hub_root()
    if args.action == "setup":
        created = embedded.setup(cd, root, demo=args.demo)
        print(f"hub setup: ready in {root}")
        _print_logins(created)
    elif args.action == "adduser":
        if args.name and len(args.names) != 1:
            raise CourseError("--name gives one person's full name: add one user at a time with it")
        for name in args.names:
            password = sys.stdin.readline().strip() if args.password_stdin else None
            password = embedded.add_user(root, name, instructor=args.instructor, password=password,
                                         full_name=args.name)
            if not args.password_stdin:  # a password typed by the instructor is not printed back
                _print_logins({name: password})
        print("hub adduser: restart the hub for group changes to take effect")
    elif args.action == "release":
        for module in args.names:
            embedded.release(root, module)
    elif args.action == "start":
        embedded.start(root, args.ip, args.port)


def _print_logins(created: dict) -> None:
    for name, password in created.items():
        print(f"  login: {name:16s} password: {password}   (shown once)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tito", description="Run the TinyTorch course (over nbgrader).")
    p.add_argument("--course-dir", help="course folder (default: the one containing the working directory)")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name, func, help):
        s = sub.add_parser(name, help=help)
        s.set_defaults(func=func)
        return s

    s = add("build", _cmd_build, "sync, validate, generate release/ and references (changed modules only)")
    s.add_argument("modules", nargs="*")
    s.add_argument("--force", action="store_true", help="rebuild every module, changed or not")
    checking = add("check", _cmd_check, "validate the sources")
    checking.add_argument("modules", nargs="*")
    checking.add_argument("--mistakes", action="store_true",
                          help="also apply each module's mistake catalogue and check where it is caught")
    checking.add_argument("--messages", action="store_true",
                          help="with --mistakes: show the message a student gets for each caught mistake")
    s = add("sync", _cmd_sync, "rewrite source/M/M.py from a notebook edited in Jupyter")
    s.add_argument("--from-notebook", dest="module", required=True, metavar="MODULE")
    add("run-source", _cmd_run_source, "execute a source notebook with solutions").add_argument("module")
    m = add("milestone", _cmd_milestone, "run a milestone (mnist, cnn, tinygpt) on your exports or --reference")
    m.add_argument("name")
    m.add_argument("args", nargs=argparse.REMAINDER, help="passed to the milestone script (e.g. --reference)")
    add("release", _cmd_release, "release a module to the exchange").add_argument("module")
    add("collect", _cmd_collect, "collect submissions from the exchange").add_argument("module")
    s = add("autograde", _cmd_autograde, "autograde every submission of one or more modules (one batch)")
    s.add_argument("modules", nargs="+", metavar="MODULE")
    s.add_argument("--student", action="append", help="only this student (repeatable)")
    s.add_argument("--jobs", "-j", type=int, default=1, help="worker processes (default 1)")
    s.add_argument("--force", action="store_true", help="regrade submissions already graded")
    s.add_argument("--no-progress", action="store_true", help="plain lines instead of a progress bar")
    s.add_argument("--cell-timeout", type=int, help="seconds per cell before it is interrupted (default 60)")
    s.add_argument("--notebook-timeout", type=float, default=600,
                   help="seconds per notebook before its kernel is killed (default 600; sandbox only)")
    s.add_argument("--unsafe", action="store_true",
                   help="grade without the sandbox (student code runs as you: only for trusted notebooks)")
    s = add("feedback", _cmd_feedback, "generate feedback HTML")
    s.add_argument("module")
    s.add_argument("--release", action="store_true", help="also release it to the exchange")
    s = add("grades", _cmd_grades, "export grades as CSV")
    s.add_argument("--out", default="grades", help="output folder (default ./grades)")
    s.add_argument("--module", action="append")
    s = add("status", _cmd_status, "what is built, released, submitted and graded")
    s.add_argument("--course", metavar="DIR", help="report on this course folder (default: the hub's course "
                                                  "when this checkout feeds a hub, else this one)")
    s = add("report", _cmd_report, "the cohort report (HTML page with figures, terminal summary)")
    s.add_argument("--out", default="report.html", help="the HTML page to write (default ./report.html)")
    s.add_argument("--as-of", help="ISO date-time deadlines are judged against (default now; UTC unless given)")
    s.add_argument("--course", metavar="DIR", help="report on this course folder (default as for status)")
    s = add("doctor", _cmd_doctor, "check this machine can run the course")
    s.add_argument("--course", metavar="DIR", help="check this course folder (default as for status)")
    add("demo", _cmd_demo, "build, grade a simulated cohort, print the grade table").add_argument(
        "--jobs", "-j", type=int, default=2)
    s = add("workshop", _cmd_workshop, "write a one-module workshop course (only MODULE released)")
    s.add_argument("module")
    s.add_argument("--dest", help="the workshop's course folder (default workshops/MODULE in this course)")
    s = add("hub", _cmd_hub, "the embedded JupyterHub: setup, adduser, release, start")
    s.add_argument("action", choices=["setup", "adduser", "release", "start"])
    s.add_argument("names", nargs="*", help="user names (adduser) or module ids (release)")
    s.add_argument("--root", help="hub folder (default $TINYTORCH_HUB_ROOT or /srv/tinytorch)")
    s.add_argument("--demo", action="store_true", help="setup: create demo instructor and student accounts")
    s.add_argument("--instructor", action="store_true", help="adduser: an instructor (formgrader access)")
    s.add_argument("--password-stdin", action="store_true", help="adduser: read the password from stdin")
    s.add_argument("--name", help="adduser: the person's full name (the account's; formgrader shows it)")
    s.add_argument("--ip", default=os.environ.get("TINYTORCH_HUB_IP", "127.0.0.1"))
    s.add_argument("--port", type=int, default=int(os.environ.get("TINYTORCH_HUB_PORT", "8000")))
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        cd = CourseDir.find(getattr(args, "course", None) or args.course_dir)
        os.chdir(cd.root)
        return args.func(cd, args) or 0
    except (CourseError, CourseFileError) as e:
        print(f"tito {args.command}: {e}", file=sys.stderr)
        return 2
    except KeyError as e:  # unknown module id: the message names the known ones
        print(f"tito {args.command}: {e.args[0]}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tito {args.command}: interrupted; what finished is kept (re-run to resume)", file=sys.stderr)
        return 130
