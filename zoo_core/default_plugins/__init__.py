"""Plugins that ship with zoo_core and register through the same hooks as any other."""
