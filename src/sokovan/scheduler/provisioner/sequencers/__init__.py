"""Sequencers: the order in which one cycle considers its pending sessions (DESIGN §5).

Only the highest-priority bucket is sequenced (`priority.highest_priority_bucket`); within it a
scaling group's strategy decides: `fifo`, `lifo` or `drf` (see `factory.make_sequencer`).
"""
