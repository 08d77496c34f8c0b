import sys

from socialsync.cli import main

sys.exit(main())
