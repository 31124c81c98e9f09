"""Authoring the course: the text form, build and check, validation, mistake catalogues."""
