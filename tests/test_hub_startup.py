"""What keeps a class's nine o'clock start cheap on the embedded hub (benchmarks/hub_load.py measures
the effect; these check the settings are in force on a live hub)."""
from __future__ import annotations

import html
import json
import re
import sqlite3

from hub_harness import STUDENT


def test_the_hub_database_is_in_wal_mode(hub):
    """Commits do not wait for the disk (jupyterhub_config.py: sqlite_synced_at_checkpoints)."""
    db = sqlite3.connect(hub.root / "state" / "jupyterhub.sqlite")
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        db.close()


def test_students_jupyterlab_has_the_read_only_extension_manager(hub):
    """Not the PyPI manager, which built an HTTPS client in every server's start-up."""
    hub.spawn(hub.login(STUDENT), STUDENT)
    session, base, _ = hub.server_session(STUDENT)
    page = session.get(f"{base}/lab", timeout=60).text
    found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    assert found, page[:500]
    manager = json.loads(html.unescape(found.group(1)))["extensionManager"]
    assert manager["name"] == "read-only" and manager["can_install"] is False

