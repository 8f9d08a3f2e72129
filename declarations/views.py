"""Pages of the declarations app (built in the next step)."""
