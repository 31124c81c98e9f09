"""tito: the course operations CLI (a thin layer over nbgrader's own apps)."""
