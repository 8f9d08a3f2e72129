# The audit trail is read on its own page by the audit administrator (三员分立); the admin
# site, which the system administrator uses, does not show it.
