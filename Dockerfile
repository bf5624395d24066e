# The image of the worker and of the web service (`cbct serve`, docker-compose.yml): the project and its
# pinned wheels from the registries (the Temporal CLI comes along but is not used here: docker-compose.yml
# points CBCT_TEMPORAL_ADDRESS at the cluster).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY application application
COPY workflows workflows
COPY activities activities
COPY projections projections
COPY infrastructure infrastructure
COPY interfaces interfaces
COPY frameworks frameworks
COPY worker.py bootstrap.py ./
RUN pip install --no-cache-dir . \
    && useradd --system --home-dir /app cbct \
    && mkdir -p /app/.cbct/outbox && chown -R cbct /app/.cbct
USER cbct
ENV CBCT_LOG_FORMAT=json
EXPOSE 8470
CMD ["sh", "-c", "cbct db migrate && python -m worker"]
