from gtsd_tui.cli import main

raise SystemExit(main())
