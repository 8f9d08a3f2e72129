# The suite's shared fixtures live in tests/fixtures.py; the app test folders use them too.
pytest_plugins = ["tests.fixtures"]
