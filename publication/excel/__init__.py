"""Excel files the worker writes (openpyxl write-only), one module per list."""
