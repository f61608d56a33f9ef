"""The parts of ``course-grade`` (``course_lib/grade.py`` is the command), one idea per module:

- ``notebooks``     read an .ipynb (as JSON) or a jupytext .py into plain cells, without running anything
- ``course``        the course's own copy of each notebook: setup cells, exercise ids, stubs (trusted)
- ``submissions``   find notebook files in files, folders and zips; name their students (roster)
- ``identify``      which course notebook a submission is, which cell holds which exercise → a Job
- ``records``       Job and Row (what crosses process boundaries), and the statuses
- ``runner``        inside a submission's process: setup cells, exercise cells, course_lib's checks
- ``sandbox``       one fresh, fenced-in process per submission: limits, timeout, outcome → Row
- ``server``        the warm fork server that imports torch once and forks the submissions' processes
- ``client``        the grader's handle on the fork server (restarts it if a submission kills it)
- ``dask_backend``  the same work on an existing Dask cluster (``--dask``)
- ``report``        grades.csv, grades.json, feedback/ and the printed summary
- ``lms``           Canvas's and Moodle's grade-import CSVs (``--format canvas|moodle``)
- ``gradescope``    a Gradescope autograder zip (``course-grade bundle``) and what it runs per submission
- ``preview``       ``before_you_submit``: in a student's notebook, the grade course-grade gives their saved file
"""

from course_lib.grading.preview import before_you_submit

__all__ = ["before_you_submit"]
