"""Signals inventory sends so higher layers can react without inventory importing them (docs/architecture.md).

``restriction_changed`` is sent by ``inventory.services.restriction.restriction_set`` INSIDE the change's
transaction, after the audit rows are written, with ``changes`` (the ``RestrictionChange`` rows: the meter's and a
cascaded GPF's), ``restricted`` (the new value) and ``actor``. A receiver's writes commit or roll back with the
change, and a receiver that raises refuses the whole change. Gateway connects R169-13 (DSP schedules of restricted
SRVs removed, ``DSPScheduleRemoval`` DCC alerts) in its ``AppConfig.ready``.
"""
from django.dispatch import Signal

restriction_changed = Signal()
