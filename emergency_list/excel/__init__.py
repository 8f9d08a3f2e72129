"""The list in Excel: one layout, one cell-safety guard, the export, the alert's workbook and
the county's import.

- ``cells``: text that a spreadsheet could take for a formula or an error code is written as
  text (every workbook the platform writes goes through it);
- ``layout``: the columns, headers and styles of the 工业源 sheet (export and import agree on
  them by construction);
- ``workbook``, ``summary``, ``export``: the streamed list export;
- ``alerts``: an alert's record as a workbook;
- ``archive``, ``reading``, ``checks``, ``importing``: the county's upload, from the archive
  to the saved list.
"""
