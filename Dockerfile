# syntax=docker/dockerfile:1
# One image for every Procfile process: `brandvis worker --stages ...` and `brandvis dashboard`
# (infra/terraform sets the command per ECS service). Build: `make image`; push: `make push`.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# -- build: resolve and install the wheels into a venv (PyAV, onnxruntime, OpenCV are binary wheels)
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/brandvis
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY workers ./workers
COPY dashboard ./dashboard
COPY cli ./cli
COPY devtools ./devtools
# --only-binary: a dependency without a wheel for this platform fails the build here rather than
# pulling compilers into it. The ONNX weights travel as package data (pyproject.toml).
RUN /opt/brandvis/bin/pip install --only-binary=:all: --no-compile . \
    && /opt/brandvis/bin/python -m compileall -q /opt/brandvis/lib \
    && /opt/brandvis/bin/python -c "import av, onnxruntime, cv2, shared.models.local, importlib.resources as r; \
assert any(p.name.endswith('.onnx') for p in r.files('shared.models.local').joinpath('weights').iterdir())"

# -- run: the venv and nothing else; no compiler, no pip cache, not root ----------------------
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="brandvis" \
      org.opencontainers.image.description="Brand detection and screen-time analytics: workers and dashboard" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/brandvis/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    BRANDVIS_MODE=aws \
    BRANDVIS_CACHE_DIR=/tmp/brandvis-cache \
    BRANDVIS_DASHBOARD_ADDRESS=0.0.0.0
RUN groupadd --system --gid 10001 brandvis \
    && useradd --system --uid 10001 --gid brandvis --home-dir /tmp --shell /usr/sbin/nologin brandvis
COPY --from=build /opt/brandvis /opt/brandvis
COPY --chmod=0755 infra/docker/healthcheck.py /usr/local/bin/brandvis-healthcheck
USER 10001:10001
WORKDIR /tmp
EXPOSE 8501
# The dashboard answers on its health URL; a worker is healthy while its process runs. (ECS uses
# the task definition's healthCheck, which terraform sets for the dashboard the same way.)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["brandvis-healthcheck"]
ENTRYPOINT []
CMD ["brandvis", "worker"]
