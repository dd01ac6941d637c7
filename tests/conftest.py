"""Shared fixtures. Fixtures for people and firms live here; servers in tests/servers.py."""

from __future__ import annotations
