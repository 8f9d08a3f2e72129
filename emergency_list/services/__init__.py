"""Every write of the emergency list; views, API, tasks and tests call these."""
