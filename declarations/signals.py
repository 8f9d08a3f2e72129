"""Signals the declarations stage sends to the stages above it."""

from django.dispatch import Signal

# Sent inside the transaction when a 保障类 declaration is decided: enterprise, declaration, actor.
guarantee_granted = Signal()
# Sent inside the transaction when an enterprise leaves the guarantee list: enterprise, reason, on, actor.
guarantee_removed = Signal()
