"""The embedded hub: setup and start, spawners, the fork server, one-module workshops."""
