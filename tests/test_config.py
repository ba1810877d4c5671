"""Settings: one place, environment over file, errors that name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import Config, ConfigError
from shared.names import CONSUMERS, STAGES, Names


def test_defaults_are_local_and_bound_to_localhost():
    config = Config.load(env={}, path=None)
    assert config.mode == "local" and config.endpoint == "http://127.0.0.1:4599"
    assert config.dashboard_address == "127.0.0.1"
    assert config.names.bucket == "brandvis-data"


def test_environment_overrides_the_file(tmp_path: Path):
    f = tmp_path / "brandvis.toml"
    f.write_text('prefix = "acme"\nstack_port = 5000\nsegment_seconds = 12.5\n')
    config = Config.load(env={"BRANDVIS_STACK_PORT": "6000", "BRANDVIS_CONFIG": str(f)})
    assert (config.prefix, config.stack_port, config.segment_seconds) == ("acme", 6000, 12.5)
    assert config.names.queue("extract") == "acme-extract" and config.names.dlq("extract") == "acme-extract-dlq"


def test_aws_mode_has_no_endpoint_and_needs_the_bucket():
    config = Config.load(env={"BRANDVIS_MODE": "aws"})
    assert config.endpoint is None
    with pytest.raises(ConfigError, match="BRANDVIS_BUCKET is required"):
        _ = config.names
    assert Config.load(env={"BRANDVIS_MODE": "aws", "BRANDVIS_BUCKET": "b-123"}).names.bucket == "b-123"


@pytest.mark.parametrize("env,message", [
    ({"BRANDVIS_STACK_PORT": "http"}, "BRANDVIS_STACK_PORT='http' is not a valid int"),
    ({"BRANDVIS_MODE": "cloud"}, "BRANDVIS_MODE must be 'local' or 'aws'"),
    ({"BRANDVIS_CURRENCY": "dollars"}, "BRANDVIS_CURRENCY must be a three-letter ISO 4217 code"),
    ({"BRANDVIS_LOG_FORMAT": "xml"}, "BRANDVIS_LOG_FORMAT must be 'text' or 'json'"),
    ({"BRANDVIS_DETECTION_FLOOR": "1.5"}, "BRANDVIS_DETECTION_FLOOR must be a confidence between 0 and 1"),
])
def test_bad_values_are_named(env, message):
    with pytest.raises(ConfigError, match=message):
        Config.load(env=env)


def test_unknown_file_keys_are_named(tmp_path: Path):
    f = tmp_path / "c.toml"
    f.write_text("stack_prot = 1\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        Config.load(env={"BRANDVIS_CONFIG": str(f)})


def test_every_stage_and_runtime_queue_has_a_queue_and_dlq_name():
    names = Names()
    queues = names.all_queues()
    assert len(queues) == len(set(queues)) == 2 * (len(STAGES) + len(CONSUMERS))
    assert {"brandvis-events", "brandvis-control-dlq", "brandvis-stop-model"} <= set(queues)
    with pytest.raises(KeyError, match="unknown queue 'paint'"):
        names.queue("paint")


def test_model_threads_are_set_once_per_process_and_reach_every_model_session():
    from shared.models.local.base import DEFAULT_BASE, WEIGHTS, BaseModel
    from shared.models.text.finder import TextFinder
    from shared.models.text.reader import TextReader
    from shared.models.threads import use_model_threads

    assert Config.load(env={"BRANDVIS_MODEL_THREADS": "1"}, path=None).model_threads == 1
    assert Config.load(env={}, path=None).model_threads == 0
    try:
        use_model_threads(1)  # what `brandvis worker` does with the setting, before any model loads
        for model in (BaseModel(WEIGHTS / f"{DEFAULT_BASE}.onnx"), TextReader(), TextFinder()):
            assert model.session.get_session_options().intra_op_num_threads == 1
    finally:
        use_model_threads(0)
    assert TextReader(threads=3).session.get_session_options().intra_op_num_threads == 3  # an explicit count wins
