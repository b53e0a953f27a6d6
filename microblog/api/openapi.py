"""The OpenAPI 3 document of the API, served at /api/openapi.json (tests fuzz the API from it)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from microblog.api import bp, schemas
from microblog.services import passwords
from microblog.session import quiet

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


UNAUTHORIZED = {
    **_error("Missing, malformed, expired or revoked credentials."),
    "headers": {
        "WWW-Authenticate": {
            "description": "The scheme to authenticate with.",
            "schema": {"type": "string"},
        }
    },
}
ERRORS = {
    "400": _error(
        "The body is not a JSON object, or a field is missing, of the wrong type, "
        "too long, badly formed or already taken."
    ),
    "401": UNAUTHORIZED,
    "403": _error("You may only change your own account."),
    "404": _error("No such user."),
    "413": _error("The body is larger than MAX_CONTENT_LENGTH (1 MiB by default)."),
    "429": {
        **_error(
            "Too many attempts from this address, or too many failed sign-ins to this "
            "account (RATELIMIT_* and LOGIN_* settings); the message says when to try again."
        ),
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
}
BEARER = [{"bearerAuth": []}]
USER_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "A user's id.",
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1, "example": 1},
}
PAGING = [
    {
        "name": "page",
        "in": "query",
        "required": False,
        "description": "Page number, from 1, or the cursor a `next_cursor` link carries "
        "(anything else means 1).",
        "schema": {
            "anyOf": [{"type": "integer", "minimum": 1}, {"type": "string"}],
            "default": 1,
        },
    },
    {
        "name": "per_page",
        "in": "query",
        "required": False,
        "description": f"Items per page, at most {schemas.PER_PAGE_MAX} (more is capped).",
        "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": schemas.PER_PAGE_MAX,
            "default": schemas.PER_PAGE_DEFAULT,
        },
    },
]


def _text(max_length: int, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length, **extra}


def _collection_schema(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "_meta", "_links"],
        "properties": {
            "items": {"type": "array", "items": _ref(item)},
            "_meta": {
                "type": "object",
                "required": ["page", "per_page", "total_pages", "total_items"],
                "properties": {
                    "page": {"type": "integer", "minimum": 1},
                    "per_page": {"type": "integer", "minimum": 1, "maximum": schemas.PER_PAGE_MAX},
                    "total_pages": {"type": "integer", "minimum": 1},
                    "total_items": {"type": "integer", "minimum": 0},
                },
            },
            "_links": {
                "type": "object",
                "required": ["self", "next", "prev", "next_cursor"],
                "properties": {
                    "self": {"type": "string"},
                    "next": {"type": "string", "nullable": True},
                    "prev": {"type": "string", "nullable": True},
                    "next_cursor": {
                        "type": "string",
                        "nullable": True,
                        "description": "The page after the last item: nothing repeats or "
                        "is skipped when posts are added meanwhile (lists of posts).",
                    },
                },
            },
        },
    }


USERNAME = _text(schemas.USERNAME_MAX, pattern=r"^[\w.-]+$", example="susan")
EMAIL = _text(schemas.EMAIL_MAX, format="email", example="susan@example.com")
ABOUT_ME = {"type": "string", "maxLength": 140, "nullable": True, "example": "Hi!"}

# --- posts ---------------------------------------------------------------------------------

POST_ID = {**USER_ID, "description": "A post's id."}
POST_ERRORS = {
    "400": _error(
        "The body is not a JSON object; body is missing, not a string, empty once trimmed or "
        "longer than 140 characters; language is no known code; reply_to names no post."
    ),
    "403": _error("Only the post's author may change or delete it."),
    "404": _error("No such post."),
    "429": {
        **ERRORS["429"],
        "description": "Too many posts from this account (RATELIMIT_POST, one count with "
        "the web's post and reply forms); the message says when to try again.",
    },
}
LINK = {"type": "string"}
NULLABLE_LINK = {"type": "string", "nullable": True}
BODY = _text(140, example="Hello, world!", description="1-140 characters, trimmed.")
LANGUAGE = {
    "type": "string",
    "nullable": True,
    "minLength": 2,
    "maxLength": 3,
    "example": "en",
    "description": "An ISO 639 code (any case); null: unknown; left out: detected.",
}


def _object(properties: dict[str, Any], *optional: str) -> dict[str, Any]:
    """An object with these properties, all of them required but `optional`."""
    required = [name for name in properties if name not in optional]
    return {"type": "object", "required": required, "properties": properties}


POST_SCHEMAS: dict[str, Any] = {
    "Post": _object(
        {
            "id": {"type": "integer", "minimum": 1},
            "body": {"type": "string"},
            "timestamp": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601, UTC.",
            },
            "language": {
                "type": "string",
                "nullable": True,
                "description": "An ISO 639 code, detected or set by the author; null: unknown.",
            },
            "edited": {
                "type": "string",
                "format": "date-time",
                "nullable": True,
                "description": "When the author last changed the text; null: never.",
            },
            "author": _object(
                {
                    "id": {"type": "integer", "minimum": 1},
                    "username": {"type": "string"},
                    "_links": _object(
                        {"self": LINK, "avatar": {"type": "string", "format": "uri"}}
                    ),
                }
            ),
            "is_reply": {
                "type": "boolean",
                "description": "A reply; with reply_to null, to a post since deleted.",
            },
            "reply_to": {
                "type": "integer",
                "minimum": 1,
                "nullable": True,
                "description": "The post this one replies to; null if none, or deleted.",
            },
            "reply_to_username": {
                "type": "string",
                "nullable": True,
                "description": "Whom it replies to (kept when that post is deleted).",
            },
            "like_count": {"type": "integer", "minimum": 0},
            "reply_count": {"type": "integer", "minimum": 0},
            "liked": {"type": "boolean", "description": "Whether you like it."},
            "_links": _object(
                {"self": LINK, "author": LINK, "like": LINK, "reply_to": NULLABLE_LINK}
            ),
        }
    ),
    "NewPost": _object(
        {
            "body": BODY,
            "language": LANGUAGE,
            "reply_to": {
                "type": "integer",
                "minimum": 1,
                "maximum": 2**31 - 1,
                "nullable": True,
                "description": "The id of the post this one answers.",
            },
        },
        "language",
        "reply_to",
    ),
    "PostUpdate": _object({"body": BODY, "language": LANGUAGE}, "language"),
    "LikeState": _object(
        {
            "post_id": {"type": "integer", "minimum": 1},
            "like_count": {"type": "integer", "minimum": 0},
            "liked": {"type": "boolean"},
            "_links": _object({"post": LINK}),
        }
    ),
}


COMPONENTS: dict[str, Any] = {
    "securitySchemes": {
        "basicAuth": {"type": "http", "scheme": "basic"},
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from POST /api/tokens.",
        },
    },
    "schemas": {
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string", "description": "The HTTP reason phrase."},
                "message": {"type": "string", "description": "What went wrong."},
            },
        },
        "Token": {
            "type": "object",
            "required": ["token"],
            "properties": {"token": {"type": "string", "minLength": 1}},
        },
        "User": {
            "type": "object",
            "required": [
                "id",
                "username",
                "last_seen",
                "about_me",
                "post_count",
                "follower_count",
                "following_count",
                "_links",
            ],
            "properties": {
                "id": {"type": "integer", "minimum": 1},
                "username": {"type": "string"},
                "email": {"type": "string", "description": "Only on your own user."},
                "last_seen": {
                    "type": "string",
                    "format": "date-time",
                    "description": "ISO 8601, UTC.",
                },
                "about_me": {"type": "string", "nullable": True},
                "post_count": {"type": "integer", "minimum": 0},
                "follower_count": {"type": "integer", "minimum": 0},
                "following_count": {"type": "integer", "minimum": 0},
                "_links": {
                    "type": "object",
                    "required": ["self", "followers", "following", "avatar"],
                    "properties": {
                        "self": {"type": "string"},
                        "followers": {"type": "string"},
                        "following": {"type": "string"},
                        "avatar": {"type": "string", "format": "uri"},
                    },
                },
            },
        },
        "UserCollection": _collection_schema("User"),
        "PostCollection": _collection_schema("Post"),
        "NewUser": {
            "type": "object",
            "required": ["username", "email", "password"],
            "properties": {
                "username": USERNAME,
                "email": EMAIL,
                "password": _text(
                    schemas.PASSWORD_MAX, format="password", minLength=passwords.PASSWORD_MIN
                ),
                "about_me": ABOUT_ME,
            },
        },
        "UserUpdate": {
            "type": "object",
            "properties": {"username": USERNAME, "email": EMAIL, "about_me": ABOUT_ME},
        },
        **POST_SCHEMAS,
    },
}


def _collection(summary: str, with_id: bool) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "security": BEARER,
            "parameters": ([USER_ID] if with_id else []) + PAGING,
            "responses": {
                "200": _json(_ref("UserCollection"), "One page of users, by id."),
                "401": ERRORS["401"],
                **({"404": ERRORS["404"]} if with_id else {}),
            },
        }
    }


def _post_body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": _ref(schema)}}}


def _posts_collection(summary: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    responses = {"200": _json(_ref("PostCollection"), "One page of posts, newest first.")}
    responses["401"] = ERRORS["401"]
    if parameters:
        responses["404"] = ERRORS["404"]
    return {
        "get": {
            "summary": summary,
            "security": BEARER,
            "parameters": parameters + PAGING,
            "responses": responses,
        }
    }


def _like(summary: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": BEARER,
        "parameters": [POST_ID],
        "responses": {
            "200": _json(_ref("LikeState"), "The post's likes now, and yours."),
            "401": ERRORS["401"],
            "404": POST_ERRORS["404"],
        },
    }


POST_PATHS: dict[str, Any] = {
    "/api/posts": {
        "post": {
            "summary": "Write a post, or a reply (reply_to). The same text sent again by you "
            "within 5 minutes is the post already stored (a resent request).",
            "security": BEARER,
            "requestBody": _post_body("NewPost"),
            "responses": {
                "201": {
                    **_json(_ref("Post"), "The post."),
                    "headers": {
                        "Location": {
                            "description": "The post's URL.",
                            "schema": {"type": "string"},
                        }
                    },
                },
                "400": POST_ERRORS["400"],
                "401": ERRORS["401"],
                "413": ERRORS["413"],
                "429": POST_ERRORS["429"],
            },
        }
    },
    "/api/posts/{id}": {
        "get": {
            "summary": "One post.",
            "security": BEARER,
            "parameters": [POST_ID],
            "responses": {
                "200": _json(_ref("Post"), "The post."),
                "401": ERRORS["401"],
                "404": POST_ERRORS["404"],
            },
        },
        "put": {
            "summary": "Change the text (and language) of your post: it is marked edited.",
            "security": BEARER,
            "parameters": [POST_ID],
            "requestBody": _post_body("PostUpdate"),
            "responses": {
                "200": _json(_ref("Post"), "Your post as it is now."),
                **{code: POST_ERRORS[code] for code in ("400", "403", "404")},
                "401": ERRORS["401"],
                "413": ERRORS["413"],
            },
        },
        "delete": {
            "summary": "Delete your post; its replies stay, as replies to a deleted post.",
            "security": BEARER,
            "parameters": [POST_ID],
            "responses": {
                "204": {"description": "Deleted."},
                "401": ERRORS["401"],
                **{code: POST_ERRORS[code] for code in ("403", "404")},
            },
        },
    },
    "/api/posts/{id}/like": {
        "post": _like("Like a post (again: no change)."),
        "delete": _like("Stop liking a post (if you did not: no change)."),
    },
    "/api/users/{id}/posts": _posts_collection("A user's posts.", [USER_ID]),
    "/api/timeline": _posts_collection("Your home timeline: yours and whom you follow.", []),
}

PATHS: dict[str, Any] = {
    "/api/tokens": {
        "post": {
            "summary": "Get a token (valid one hour; the same one while it has a minute left).",
            "security": [{"basicAuth": []}],
            "responses": {
                "200": _json(_ref("Token"), "Your token."),
                "401": ERRORS["401"],
                "429": ERRORS["429"],
            },
        },
        "delete": {
            "summary": "Revoke your token at once.",
            "security": BEARER,
            "responses": {"204": {"description": "Revoked."}, "401": ERRORS["401"]},
        },
    },
    "/api/users": {
        **_collection("All users.", with_id=False),
        "post": {
            "summary": "Register a new user (no authentication).",
            "security": [],
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("NewUser")}}},
            "responses": {
                "201": {
                    **_json(_ref("User"), "The new user (with its email)."),
                    "headers": {
                        "Location": {
                            "description": "The new user's URL.",
                            "schema": {"type": "string"},
                        }
                    },
                },
                "400": ERRORS["400"],
                "413": ERRORS["413"],
                "429": ERRORS["429"],
            },
        },
    },
    "/api/users/{id}": {
        "get": {
            "summary": "One user (with the email if it is you).",
            "security": BEARER,
            "parameters": [USER_ID],
            "responses": {
                "200": _json(_ref("User"), "The user."),
                "401": ERRORS["401"],
                "404": ERRORS["404"],
            },
        },
        "put": {
            "summary": "Change your own username, email or about me.",
            "security": BEARER,
            "parameters": [USER_ID],
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("UserUpdate")}}},
            "responses": {
                "200": _json(_ref("User"), "Your updated user."),
                **{code: ERRORS[code] for code in ("400", "401", "403", "404", "413")},
            },
        },
    },
    "/api/users/{id}/followers": _collection("Who follows this user.", with_id=True),
    "/api/users/{id}/following": _collection("Whom this user follows.", with_id=True),
    **POST_PATHS,
    "/api/openapi.json": {
        "get": {
            "summary": "This document.",
            "security": [],
            "responses": {"200": _json({"type": "object"}, "The OpenAPI document.")},
        }
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Microblog API",
        "version": "1.0",
        "description": "Errors are always JSON {error, message}. Collections are paginated "
        "with ?page and ?per_page. Get a token with Basic auth, then send it as a Bearer token.",
    },
    "paths": PATHS,
    "components": COMPONENTS,
}


@bp.get("/openapi.json")
@quiet  # an API call is not a visit: no "last seen"
def document() -> Response:
    return jsonify(DOCUMENT)
