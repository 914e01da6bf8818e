"""Validators: may this session run now, quota- and precondition-wise? (DESIGN §5).

Each validator checks one rule and raises a `ValidationRejection` whose message tells the owner
what to do; `validator.SchedulingValidator` runs them in a documented order.
"""
