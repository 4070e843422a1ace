"""Development tooling for the people who build, package and publish zoo models.

Dataset split lists, plugin scripts loaded as modules in tests, canonical model.yaml writing and
``zoo publish``. The runtime (``zoo``, ``zoo_core``) never imports this package at import time: only
the ``zoo publish`` command does, when it runs.
"""
