"""One blueprint per module; views read input, call a service and render."""
