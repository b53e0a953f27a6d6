"""Register, log in, log out, reset a forgotten password."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import _, get_locale
from flask_login import current_user, logout_user

from microblog import htmx
from microblog.extensions import limiter
from microblog.forms import (
    EmptyForm,
    LoginForm,
    RegistrationForm,
    ResetPasswordForm,
    ResetPasswordRequestForm,
)
from microblog.ratelimits import setting
from microblog.services import accounts, passwords, sessions
from microblog.session import current_session_id, local_path, sign_in

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.route("/register", methods=["GET", "POST"])
# One count with the API's POST /api/users: both make accounts.
@limiter.shared_limit(setting("RATELIMIT_REGISTER"), "register", methods=["POST"])
def register() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("posts.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        user = accounts.register(form.username.data, form.email.data, form.password.data)
        sign_in(user)  # a new account is signed in at once
        flash(_("Welcome to Microblog, %(username)s!", username=user.username), "success")
        return redirect(url_for("posts.index"), 303)
    return _form_page("auth/register.html", form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(setting("RATELIMIT_LOGIN"), methods=["POST"])
def login() -> Response:
    next_page = local_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_page or url_for("posts.index"))
    form = LoginForm()
    if form.validate_on_submit():
        # A delayed account raises accounts.LoginDelayed: a 429 (views/errors.py).
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Invalid username or password"))
            return _form_page("auth/login.html", form, status=422)
        sign_in(user, remember=form.remember_me.data)
        return redirect(next_page or url_for("posts.index"), 303)
    return _form_page("auth/login.html", form)


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Response:
    """POST logs out (CSRF-protected); GET shows the confirmation button."""
    form = EmptyForm()
    if form.validate_on_submit():
        if (ended := current_session_id()) is not None:
            sessions.end(current_user, ended)  # its cookies, remember-me too, stop working
        logout_user()
        session.clear()  # the whole session ends with it, its CSRF token included
        flash(_("You have been logged out."), "info")
        return redirect(url_for("auth.login"), 303)
    if not current_user.is_authenticated:
        return redirect(url_for("posts.index"))
    return _form_page("auth/logout.html", form)


@bp.route("/reset_password_request", methods=["GET", "POST"])
@limiter.limit(setting("RATELIMIT_RESET_REQUEST"), methods=["POST"])
def reset_password_request() -> Response:
    """The same answer whether or not the address has an account (no enumeration)."""
    if current_user.is_authenticated:
        return redirect(url_for("posts.index"))
    form = ResetPasswordRequestForm()
    if form.validate_on_submit():
        passwords.start_reset(form.email.data, request.url_root, str(get_locale()))
        flash(_("Check your email for the instructions to reset your password."), "info")
        return redirect(url_for("auth.login"), 303)
    return _form_page("auth/reset_password_request.html", form)


@bp.route("/reset_password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("posts.index"))
    try:
        user = passwords.verify_token(token)
    except passwords.TokenError as error:
        flash(_reset_link_refusal(error), "danger")
        return redirect(url_for("auth.reset_password_request"), 303)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        passwords.reset_password(user, form.password.data)
        flash(_("Your password has been reset. You can now sign in."), "success")
        return redirect(url_for("auth.login"), 303)
    return _form_page("auth/reset_password.html", form)


def _reset_link_refusal(error: passwords.TokenError) -> str:
    if error.expired:
        return _("This password reset link has expired. Please request a new one.")
    return _(
        "This password reset link is invalid or has already been used. Please request a new one."
    )


def _form_page(template: str, form: object, status: int | None = None) -> Response:
    """The form's whole page (forms here are boosted); 422 when a submission was refused."""
    if status is None:
        status = 422 if request.method == "POST" else 200
    return htmx.vary(make_response(render_template(template, form=form), status))
