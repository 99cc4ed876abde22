FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY engine engine
COPY api api
COPY cli cli
COPY migrations migrations
# The procedure ships inside the package (engine/procedure/): `lkj deploy` and `lkj serve`
# find its diagrams, forms and calendars wherever they run.
COPY bpmn bpmn
COPY forms forms
COPY calendars calendars
RUN pip install --no-cache-dir . && rm -rf build
RUN useradd --create-home lkj && mkdir -p /data && chown lkj /data
USER lkj
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--threads", "8", "api.wsgi:app"]
