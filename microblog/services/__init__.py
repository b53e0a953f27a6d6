"""Plain typed functions with the app's rules. They never read `request`."""
