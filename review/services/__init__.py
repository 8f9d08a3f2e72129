"""Every write of the review chain; views, API, tasks and tests call these."""
