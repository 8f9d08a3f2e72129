"""Every write of the declarations app; views, API, tasks and tests call these."""
