"""The computation behind every demo, one module per topic: tensors or arrays in, arrays or small
dataclasses out.

Nothing here imports ipywidgets or matplotlib; the pictures and controls live in
``course_lib.widgets.<topic>``, which only draws what these modules compute. A setting an
experiment cannot run raises ``course_lib.errors.CourseInputError`` with one sentence. No function
here changes the global random state of torch, NumPy or ``random``: each draws from its own
generator or restores the state (``course_lib.seeding.preserved_random_state``).
"""
