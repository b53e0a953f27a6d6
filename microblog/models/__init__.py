"""Typed SQLAlchemy models. They cross-reference, so they are imported together."""

from microblog.models.activity import Activity, Kind
from microblog.models.conversation import Conversation
from microblog.models.like import PostLike
from microblog.models.message import Message
from microblog.models.notification import Notification
from microblog.models.post import Post
from microblog.models.session import UserSession
from microblog.models.task import Task
from microblog.models.user import User, followers

__all__ = [
    "Activity",
    "Conversation",
    "Kind",
    "Message",
    "Notification",
    "Post",
    "PostLike",
    "Task",
    "User",
    "UserSession",
    "followers",
]
