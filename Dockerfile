FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LOG_TO_STDOUT=1 BIND=0.0.0.0:8000
WORKDIR /app
COPY pyproject.toml README.md ./
COPY microblog ./microblog
RUN pip install --no-cache-dir .
COPY . .
RUN useradd --create-home microblog && chown -R microblog /app
USER microblog
EXPOSE 8000
CMD ["./boot.sh"]
