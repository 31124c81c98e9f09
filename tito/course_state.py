"""A course's state as nbgrader sees it, read without writing anything (`tito status` and
`tito doctor` may run as root on the hub's course): the gradebook over a read-only connection,
the exchange nbgrader uses for the course, and what formgrader calls released."""
from __future__ import annotations

import logging
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

from .course_dir import CourseDir
from .nbgrader_apps import load_config

QUIET = logging.getLogger("tito.course_state")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


def read_only_url(cd: CourseDir) -> str:
    return f"sqlite:///file:{urllib.parse.quote(str(cd.gradebook))}?mode=ro&uri=true"


@contextmanager
def read_only_gradebook(cd: CourseDir):
    """nbgrader's Gradebook over a read-only SQLite connection: no journal, no new file, no owner change."""
    from nbgrader.api import Gradebook

    with Gradebook(read_only_url(cd), cd.course.course_id) as gb:
        yield gb


def exchange_root(cd: CourseDir) -> Path:
    """The exchange nbgrader uses for this course: the hub's for the hub's grader course (what the
    hub gives formgrader), else what nbgrader_config.py says."""
    from .hub.embedded import exchange_of

    return exchange_of(cd) or Path(_config(cd).Exchange.root)


def _config(cd: CourseDir, exchange: Path | None = None):
    from nbgrader.exchange.default.exchange import Exchange

    cfg = load_config(cd)
    if exchange is not None:
        cfg.Exchange.root = str(exchange)
    elif "root" not in cfg.Exchange:
        cfg.Exchange.root = Exchange.root.default_value
    return cfg


def released_modules(cd: CourseDir) -> set[str] | None:
    """What formgrader shows as released: the assignments nbgrader's exchange lists as outbound for
    this course (NbGraderAPI.get_released_assignments). None when the exchange is not functional:
    formgrader then shows every assignment as draft."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    cfg = _config(cd, exchange_root(cd))
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg, log=QUIET), config=cfg, log=QUIET)
    return api.get_released_assignments() if api.exchange_is_functional else None
