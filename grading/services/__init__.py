"""Every write of the grading app. Views, API, commands and tests call these functions."""
