"""The tax rules: plain Python over frozen dataclasses, Decimal money and date dates.

Nothing below this package imports Django or anything outside the standard library
(tests/taxlogic/test_purity.py enforces it), so the engine can be lifted out and used alone.
"""
