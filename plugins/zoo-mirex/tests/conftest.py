"""The shared zoo test fixtures (isolated home and caches, the in-process `zoo` command, explicit plugins)."""

from __future__ import annotations

from zoo_dev.fixtures import isolated_home, use_plugins, zoo_cli  # noqa: F401
