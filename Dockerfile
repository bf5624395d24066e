# The worker image: the project installed from the registries, run against CBCT_DATABASE_URL.
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
COPY worker.py ./
RUN pip install --no-cache-dir .
ENV CBCT_LOG_FORMAT=json
CMD ["sh", "-c", "cbct db migrate && python -m worker"]
