"""nbgrader's submit step with private submissions (used by student servers' nbgrader config).

nbgrader's default exchange leaves a submission world-readable (0644 files in a 0777 folder),
hidden only by a random folder name inside the unlistable inbound folder. Here the
submission is readable by its owner and by the instructors' group only: the inbound folder
is set-group-id to the grader's group, so every submission inherits that group, and the
grader collects through it. Other students cannot enter the folder even knowing its name.
"""
from __future__ import annotations

import os

from nbgrader.exchange.default.submit import ExchangeSubmit


class PrivateSubmit(ExchangeSubmit):
    def copy_files(self):
        super().copy_files()
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        for folder, _, files in os.walk(dest):
            os.chmod(folder, 0o2770)
            for name in files:
                os.chmod(os.path.join(folder, name), 0o640)
