"""The ML pipeline: job kinds, training-data export, job plans, state machines and the evaluation gate."""
