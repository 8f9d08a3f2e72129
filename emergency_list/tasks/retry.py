"""What the list's job tasks retry: passing faults (a database restart, a dropped connection)
run the task again after a backoff; every task is idempotent on redelivery."""

from django.db import InterfaceError, OperationalError

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
RETRY = {"autoretry_for": TRANSIENT, "retry_backoff": 5, "retry_backoff_max": 120, "max_retries": 5}
