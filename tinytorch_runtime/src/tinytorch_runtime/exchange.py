"""nbgrader's submit step with private submissions (used by student servers' nbgrader config).

nbgrader's default exchange leaves a submission world-readable (0644 files in a 0777 folder),
hidden only by a random folder name inside the unlistable inbound folder. Here the
submission folder is open to its owner and the instructors' group only (0770): the inbound
folder is set-group-id to the grader's group, so every new submission folder is created
with that group, and the grader collects through it. Other students cannot enter the
folder even knowing its name; the files inside keep nbgrader's modes.
"""
from __future__ import annotations

import os

from nbgrader.exchange.default.submit import ExchangeSubmit


class PrivateSubmit(ExchangeSubmit):
    def copy_files(self):
        super().copy_files()
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        for folder, _, _ in os.walk(dest):
            os.chmod(folder, 0o770)
