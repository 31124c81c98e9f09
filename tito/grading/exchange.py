"""nbgrader's collect, without following links: `c.ExchangeFactory.collect = "tito.grading.exchange.SafeCollect"`.

nbgrader 0.9's collect copies each inbound submission with shutil.copytree, which copies what a
link points to. The inbound folder belongs to the student, so a link added after submitting would
have the grader copy the answer key, the gradebook or any file it can read into submitted/. This
keeps nbgrader's collect (records, timestamps, --update, --before-duedate) and replaces only its
copy: the module's files as regular files under a size cap; what is dropped is logged and kept in
.tito/dropped/<module>/<student>/dropped.json for `tito autograde` to report. After collecting, the
module's deadline and the students' names go into the gradebook (tito/grading/registration.py), for
formgrader's Collect button as for `tito collect`.
"""
from __future__ import annotations

from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect

from ..course_dir import CourseDir
from . import registration, submission


class SafeCollect(ExchangeCollect):
    def do_copy(self, src, dest, log=None):
        cd = CourseDir(Path(self.coursedir.root))
        module = self.coursedir.assignment_id
        student = Path(dest).parent.name
        dropped = submission.copy_submission(Path(src), Path(dest), submission.allowed_files(cd, module))
        for entry in dropped:
            self.log.warning("Dropped from %s's submission of %s: %s", student, module, entry)
        submission.record_dropped(cd, module, student, dropped, "collect")

    def copy_files(self):
        super().copy_files()
        students = sorted({rec["username"] for rec in self.src_records})
        try:
            registration.register_module(CourseDir(Path(self.coursedir.root)), self.coursedir.assignment_id, students)
        except Exception as e:  # noqa: BLE001 - the collect itself has succeeded
            self.log.warning("Could not register the deadline and student names in the gradebook: %s", e)
