"""Running the model: one run (``run``), batches of runs (``experiment``, ``executors``,
``batch``), where they land (``store``, ``results``), parameter points and posterior draws
(``points``, ``posterior``), replicates (``replicates``). See docs/architecture.md."""
