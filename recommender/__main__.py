"""`python -m recommender ...`: see `recommender.cli`."""

from recommender.cli import main

raise SystemExit(main())
