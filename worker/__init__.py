"""The plan writer: a child process, at idle CPU priority, that writes acknowledged plan forms.

`intake.PlanIntake` is the web process's end (it starts, feeds, watches and stops the child);
`child.main` is the child. Why a process: the Python that writes a plan (30-50 ms of it)
would otherwise share the interpreter lock, and the core, with the acknowledgements of the
requests that come after it (bench/README.md).
"""
