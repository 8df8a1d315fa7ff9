"""``python -m benchmarks``: the portal at national scale, every figure beside a reference from the same run.

The command builds a dataset with the project's own commands (``demo_data``, ``generate_traffic``),
starts the real server stack (gunicorn serving ``portal.wsgi:application`` on a free localhost port,
PostgreSQL, Redis) and measures each path several times. Each figure is printed beside a reference
measured in the same run on the same machine and data (``psql \\copy``, a hand-written ``GROUP BY``,
the trivial ``/api/v1/health/`` endpoint), so a ratio says how close the portal comes to the floor
the hardware allows, whatever the machine. See ``docs/performance.md``.
"""
