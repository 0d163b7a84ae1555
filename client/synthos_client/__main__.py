from synthos_client.cli import main

raise SystemExit(main())
