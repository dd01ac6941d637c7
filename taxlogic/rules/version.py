"""The rule engine's version, stored with every review and part of its inputs hash.

Bump it whenever a change to the rules can change a plan for the same inputs: a review re-run
under a new version computes a new plan instead of reusing the old one.
"""

from __future__ import annotations

ENGINE_VERSION = "2026.5"
