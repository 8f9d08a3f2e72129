"""The emergency list's services: every write (entries, alerts, Excel jobs, documents) and
the computations the rules need (measures, ratio checks, alert simulation, charts); views, API,
tasks and tests call these."""
