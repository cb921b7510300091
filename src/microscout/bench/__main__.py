from microscout.bench import main

raise SystemExit(main())
