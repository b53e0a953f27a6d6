FROM python:3.11-slim
# The image is for HTTPS deployments (behind a TLS proxy): Secure cookies. Chrome and
# Firefox accept them from http://localhost too; on other plain-HTTP hosts set SECURE_COOKIES=0.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LOG_TO_STDOUT=1 BIND=0.0.0.0:8000 \
    SECURE_COOKIES=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY microblog ./microblog
RUN pip install --no-cache-dir .
COPY . .
# instance/avatars: uploaded profile pictures (AVATAR_DIR), a volume in docker-compose.yml.
RUN useradd --create-home microblog && mkdir -p /app/instance/avatars \
    && chown -R microblog /app
USER microblog
EXPOSE 8000
CMD ["./boot.sh"]
