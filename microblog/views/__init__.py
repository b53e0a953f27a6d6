"""One blueprint per module; views read input, call a service and render."""

# The modules, one blueprint each, that create_app registers (with the API's).
VIEWS = (
    "activity",
    "auth",
    "avatars",
    "errors",
    "exports",
    "likes",
    "messages",
    "posts",
    "search",
    "sessions",
    "threads",
    "timeline",
    "translations",
    "users",
)
