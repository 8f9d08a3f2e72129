"""Pages of the declarations app, by what they show: the declaration and its parts, its
tables and lines, its indicators and evidence, its versions, the year's batches. Thin:
validate, call a service or selector, present."""
