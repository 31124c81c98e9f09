"""Grading: the autograde batch, the sandbox, the judge, nbgrader plug-ins, feedback and grades."""
