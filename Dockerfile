FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY engine engine
COPY api api
COPY migrations migrations
RUN pip install --no-cache-dir .
COPY bpmn bpmn
COPY forms forms
COPY calendars calendars
ENV LKJ_CALENDAR_DIR=/app/calendars
RUN useradd --create-home lkj && mkdir -p /data && chown lkj /data
USER lkj
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--threads", "8", "api.wsgi:app"]
