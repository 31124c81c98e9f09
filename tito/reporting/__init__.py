"""What the course looks like: `tito status` and the cohort report (page and hub service)."""
