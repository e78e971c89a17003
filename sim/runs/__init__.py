"""Runs: one run from Python (``api.run``), resumable sweeps through Hydra's launchers (``sweep``),
collecting a sweep into tidy tables (``collect``), sweep designs derived from the policy registry
(``designs``), atomic result files (``io``), the command line's checks (``cli``), run and sweep
directories (``rundirs``), the code's identity (``provenance``), memory estimates
(``resources``) and orphaned workers (``orphans``).
"""
