"""Reason: what was decided, why, in a sentence a person can read, and the rule it rests on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reason:
    """One explained decision. ``code`` is stable (for programs), ``text`` is for people,
    ``rule`` cites the authority (IRC section, regulation, revenue ruling, publication)."""

    code: str
    text: str
    rule: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "text": self.text, "rule": self.rule}
