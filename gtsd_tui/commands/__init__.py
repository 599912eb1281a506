"""One module per CLI subcommand; each exposes ``add_parser(sub)`` and ``run(args, project) -> int``."""
