"""Fixtures shared by the zoo-perceiver tests: the core's isolation helpers."""

from zoo_dev.fixtures import isolated_home, use_plugins, zoo_cli  # noqa: F401
