"""The course folder on disk: where sources, releases, submissions and grades live."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tinytorch_runtime.course import Course, load_course


class CourseError(Exception):
    """A problem the user can fix; the CLI prints it without a traceback."""


@dataclass(frozen=True)
class CourseDir:
    root: Path

    @classmethod
    def find(cls, start: str | os.PathLike | None = None) -> "CourseDir":
        here = Path(start or os.environ.get("TITO_COURSE_DIR") or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / "course.yml").is_file() and (folder / "nbgrader_config.py").is_file():
                return cls(folder)
        raise CourseError(f"no course here: {here} and its parents have no course.yml + nbgrader_config.py")

    @property
    def course(self) -> Course:
        return load_course(self.root / "course.yml")

    def source_notebook(self, module_id: str) -> Path:
        return self.root / "source" / module_id / f"{module_id}.ipynb"

    def source_text(self, module_id: str) -> Path:
        return self.root / "source" / module_id / f"{module_id}.py"

    def release_notebook(self, module_id: str) -> Path:
        return self.root / "release" / module_id / f"{module_id}.ipynb"

    def submitted(self, student: str, module_id: str) -> Path:
        return self.root / "submitted" / student / module_id

    def autograded(self, student: str, module_id: str) -> Path:
        return self.root / "autograded" / student / module_id

    def graded_exports(self, student: str) -> Path:
        """The student's exports produced while grading (the `own` prerequisite policy reads them)."""
        return self.root / "autograded" / student / ".tinytorch"

    @property
    def reference_dir(self) -> Path:
        """Instructor reference exports (tinytorch/<name>.py): never released."""
        return self.root / "build" / "reference"

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def work_dir(self) -> Path:
        """Scratch space for tito itself (worker gradebooks, logs)."""
        return self.root / ".tito"

    def authored_modules(self) -> list[str]:
        """Modules of the course that have a source folder, in course order."""
        return [m for m in self.course.module_ids if self.source_text(m).is_file()]

    def prerequisites(self, module_id: str) -> list[str]:
        """The modules this one `requires` or `extends` in course.yml, and what those need in turn
        (a reference imports its own prerequisites), in course order; never module_id itself."""
        course = self.course
        needed: set[str] = set()
        todo = [*course.module(module_id).requires, *course.module(module_id).extends]
        while todo:
            m = todo.pop()
            if m not in needed and m != module_id:
                needed.add(m)
                todo += [*course.module(m).requires, *course.module(m).extends]
        return [m for m in course.module_ids if m in needed]

    def students_submitted(self, module_id: str) -> list[str]:
        base = self.root / "submitted"
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if (p / module_id).is_dir())

    def grading_env(self, module_id: str, student: str | None = None) -> dict[str, str]:
        """Environment for kernels that run course code in grading mode."""
        env = {
            "TINYTORCH_COURSE": str(self.root / "course.yml"),
            "TINYTORCH_MODE": "grading",
            "TINYTORCH_REFERENCE": str(self.reference_dir),
            "TINYTORCH_MODULE": module_id,
        }
        if student:
            env["TINYTORCH_STORE"] = str(self.graded_exports(student))
        return env
