"""`python -m duta` is the `duta` command."""

from duta.cli import main

raise SystemExit(main())
