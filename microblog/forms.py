"""Every form of the web UI (FlaskForms). Database checks call a service."""

from __future__ import annotations

import re
import secrets

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    Regexp,
    StopValidation,
    ValidationError,
)

from microblog.i18n import time_zones
from microblog.services import accounts, avatars, languages, passwords, posts

TEXT_MAX = 140
SEARCH_MAX = 200
USERNAME = Regexp(
    r"^[\w.-]+$", message=_l("Use letters, digits, dots, dashes and underscores only.")
)


class TextOnly:
    """Refuse values that are not plain text (files sent to a text field, NUL bytes)."""

    def __call__(self, form: FlaskForm, field: StringField) -> None:
        # StopValidation: later validators (Length...) must not see a non-string.
        if field.data is not None and not isinstance(field.data, str):
            field.data = None
            raise StopValidation(_l("This field takes text only."))
        if field.data and "\x00" in field.data:
            raise StopValidation(_l("This field cannot contain NUL characters."))


class NewPassword:
    """A password worth having: at least 8 characters, and not a commonly leaked one."""

    def __call__(self, form: FlaskForm, field: PasswordField) -> None:
        if len(field.data or "") < passwords.PASSWORD_MIN:
            raise ValidationError(
                _l("Use at least %(num)d characters.", num=passwords.PASSWORD_MIN)
            )
        if passwords.is_common(field.data):
            raise ValidationError(_l("This password is too common: choose another one."))


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[TextOnly(), DataRequired()])
    password = PasswordField(_l("Password"), validators=[TextOnly(), DataRequired()])
    remember_me = BooleanField(_l("Remember Me"))
    submit = SubmitField(_l("Sign In"))


class RegistrationForm(FlaskForm):
    username = StringField(
        _l("Username"),
        filters=[_strip],
        validators=[TextOnly(), DataRequired(), Length(max=64), USERNAME],
    )
    email = StringField(
        _l("Email"),
        filters=[_strip],
        validators=[TextOnly(), DataRequired(), Length(max=120), Email()],
    )
    password = PasswordField(
        _l("Password"),
        validators=[TextOnly(), DataRequired(), Length(max=256), NewPassword()],
        description=_l("At least 8 characters."),
    )
    password2 = PasswordField(
        _l("Repeat Password"),
        validators=[TextOnly(), DataRequired(), EqualTo("password", _l("Passwords must match."))],
    )
    submit = SubmitField(_l("Register"))

    def validate_username(self, username: StringField) -> None:
        if accounts.username_taken(username.data):
            raise ValidationError(_l("Please use a different username."))

    def validate_email(self, email: StringField) -> None:
        if accounts.email_taken(email.data):
            raise ValidationError(_l("Please use a different email address."))


class EditProfileForm(FlaskForm):
    username = StringField(
        _l("Username"),
        filters=[_strip],
        validators=[TextOnly(), DataRequired(), Length(max=64), USERNAME],
    )
    about_me = TextAreaField(_l("About me"), validators=[TextOnly(), Length(max=TEXT_MAX)])
    avatar = FileField(
        _l("Picture"), render_kw={"accept": "image/png,image/jpeg,image/webp,image/gif"}
    )
    remove_avatar = BooleanField(_l("Remove picture"))
    # validate_choice off: `validate_timezone` refuses other values with a message of ours.
    timezone = SelectField(_l("Time zone"), validate_choice=False, default="UTC")
    submit = SubmitField(_l("Submit"))

    def __init__(self, user_id: int, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.user_id = user_id
        self.timezone.choices = [(name, name.replace("_", " ")) for name in time_zones()]
        limit = avatars.size_limit_text(current_app.config["AVATAR_MAX_BYTES"])
        self.avatar.description = _("PNG, JPEG, WebP or GIF, at most %(size)s.", size=limit)
        self.pictures: dict[int, bytes] | None = None  # the upload, once validated

    def validate_username(self, username: StringField) -> None:
        if accounts.username_taken(username.data, except_id=self.user_id):
            raise ValidationError(_l("Please use a different username."))

    def validate_avatar(self, field: FileField) -> None:
        """Decode the upload here, so that a refused one is an error next to its field."""
        if field.data is None:
            return
        try:
            self.pictures = avatars.process(
                field.data.stream, current_app.config["AVATAR_MAX_BYTES"]
            )
        except avatars.AvatarRefused as refused:
            raise ValidationError(str(refused)) from None

    def validate_timezone(self, field: SelectField) -> None:
        if field.data not in time_zones():
            raise ValidationError(_l("Choose a time zone from the list."))


def new_submission_key() -> str:
    return secrets.token_urlsafe(16)


SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{16,32}")


class SubmissionKeyForm(FlaskForm):
    """A form whose every rendering carries a random key, stored with what it creates.

    The same form sent twice (a double click, a resent POST, Back and send again) carries
    the same key, so the second sending finds the first one's row instead of adding one.
    """

    submission_key = HiddenField(default=new_submission_key)

    @property
    def key(self) -> str | None:
        """The key sent, if it looks like one of ours; anything else deduplicates nothing."""
        value = self.submission_key.data
        return value if isinstance(value, str) and SUBMISSION_KEY.fullmatch(value) else None


def text_budget(text: object) -> int:
    """Characters left of TEXT_MAX (negative: too many), counted as the form's Length does."""
    return TEXT_MAX - len(_strip(text) if isinstance(text, str) else "")


class PostFields(FlaskForm):
    """A post's text and its language: a new post and an edit are checked alike.

    The language select offers "Detect automatically" (""), "Unknown language" and every
    language detection can answer (services/languages.py); `keep_language`, a post's stored
    language, is offered too if it is not among them, so an edit never refuses its own
    preset. Its help text says what detection makes of the text (`detection_hint`).
    """

    post = TextAreaField(
        _l("Say something"),
        filters=[_strip],
        validators=[TextOnly(), DataRequired(), Length(min=1, max=TEXT_MAX)],
    )
    # validate_choice off: `validate_language` refuses other values with a message of ours.
    language = SelectField(_l("Language"), validate_choice=False, default="")

    def __init__(self, *args: object, keep_language: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        locale = str(get_locale())
        self.language.choices = [
            ("", _("Detect automatically")),
            (languages.UNKNOWN, _("Unknown language")),
            *languages.choices(locale),
        ]
        if keep_language and keep_language not in languages.SELECTABLE:
            self.language.choices.insert(2, (keep_language, languages.name(keep_language, locale)))
        self.language.description = detection_hint(self.post.data)

    def validate_language(self, field: SelectField) -> None:
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose a language from the list."))

    @property
    def chosen_language(self) -> posts.Language:
        """What services.posts takes: DETECT, None (unknown) or a language code."""
        if not self.language.data:
            return posts.DETECT
        return None if self.language.data == languages.UNKNOWN else self.language.data


def detection_hint(text: object) -> str:
    """What detection makes of `text`: the composer shows it under the language select, and
    POST /post/check refreshes it as the author types."""
    text = _strip(text) if isinstance(text, str) else ""
    if not text:
        return _("Detected from your text unless you choose one.")
    code = languages.detect(text[: languages.DETECT_MAX])
    if code is None:
        return _("No language detected.")
    return _("Detected: %(language)s", language=languages.name(code, str(get_locale())))


class PostForm(PostFields, SubmissionKeyForm):
    submit = SubmitField(_l("Post"))


class PostEditForm(PostFields):
    """Editing post `post_id`. Its fields' ids name the post, so that several edit forms
    and the composer can share a page (the field names stay: `post`, as a new post's)."""

    submit = SubmitField(_l("Save"))

    def __init__(self, post_id: int, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.id_prefix = f"edit-{post_id}-"
        self.post.label.text = _("Your post")
        for field in (self.post, self.language, self.submit):
            field.id = self.id_prefix + field.id
            field.label.field_id = field.id


class EmptyForm(FlaskForm):
    """A form with only the CSRF token: follow, unfollow and other one-click actions."""

    submit = SubmitField(_l("Submit"))


class ResetPasswordRequestForm(FlaskForm):
    email = StringField(
        _l("Email"),
        filters=[_strip],
        validators=[TextOnly(), DataRequired(), Length(max=120), Email()],
    )
    submit = SubmitField(_l("Request Password Reset"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Password"),
        validators=[TextOnly(), DataRequired(), Length(max=256), NewPassword()],
        description=_l("At least 8 characters."),
    )
    password2 = PasswordField(
        _l("Repeat Password"),
        validators=[TextOnly(), DataRequired(), EqualTo("password", _l("Passwords must match."))],
    )
    submit = SubmitField(_l("Reset Password"))


class MessageForm(SubmissionKeyForm):
    message = TextAreaField(
        _l("Message"),
        filters=[_strip],
        validators=[TextOnly(), DataRequired(), Length(min=1, max=TEXT_MAX)],
    )
    submit = SubmitField(_l("Send"))


class SearchForm(FlaskForm):
    """The search page's form. It is sent by GET (the words are in the URL, so results
    can be linked and paged), so it carries no CSRF token: it changes nothing."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Search"), filters=[_strip], validators=[TextOnly(), Length(max=SEARCH_MAX)]
    )
