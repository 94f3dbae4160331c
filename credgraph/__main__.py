"""``python -m credgraph``: the same as the ``credgraph`` command."""

from credgraph.cli import main

raise SystemExit(main())
