"""The course's authoring tools, importable as ``tools.<name>`` and runnable as ``python -m tools.<name>``:
``notebook_generator`` (solutions → student notebooks), ``run_solutions`` (store executed outputs)."""
