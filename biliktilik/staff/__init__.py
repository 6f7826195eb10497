"""The staff workflow around the records: listener spreadsheets (``template``, ``import``,
``export``) and the JSON Schemas editors use to complete and flag fields in data/.

It sits above validation (it validates what it writes) and below the CLI, which turns its
errors into exit codes."""
