"""The server's sessions and pools as the Connections pane and `stats` show them."""
