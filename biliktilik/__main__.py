import sys

from biliktilik.cli.main import main

sys.exit(main())
