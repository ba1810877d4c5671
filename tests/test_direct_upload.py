"""A browser uploads a video straight to the bucket with a presigned POST (real HTTP to the emulator),
bounded by upload_max_mb in the policy and checked again on arrival; the dashboard never holds it."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json

import pytest
import requests

from shared import layout
from shared.submit import RequestError, Submitter
from shared.uploads import INCOMING


def post(upload, name: str, data: bytes) -> requests.Response:
    """What the dashboard's upload component does in the browser: a multipart POST to the bucket."""
    return requests.post(upload.url, data=upload.fields, files={"file": (name, data, "video/mp4")}, timeout=30)


def test_a_video_posted_by_the_browser_lands_at_its_content_key(clients, storage):
    # Given a presigned POST for match.mp4
    submit = Submitter(clients)
    upload = submit.presign_video("match.mp4")
    policy = json.loads(base64.b64decode(upload.fields["policy"]))
    assert ["content-length-range", 1, 2048 * 1024 * 1024] in policy["conditions"]
    assert upload.key.startswith(INCOMING) and upload.key.endswith("/match.mp4")
    # When the browser posts the file, and the page adopts it
    data = b"\x00\x01video" * 1000
    assert post(upload, "match.mp4", data).status_code in (200, 201, 204)
    video = submit.adopt_video(upload, "match.mp4")
    # Then it is stored once, at its content key, and nothing is left under incoming/
    cid = hashlib.sha256(data).hexdigest()[:16]
    assert (video.video_id, video.key, video.name) == (cid, layout.source_key(cid, "match.mp4"), "match.mp4")
    assert storage.get_bytes(video.key) == data
    assert list(storage.list_keys(INCOMING)) == []


def test_refusals_name_the_file_and_the_limit(clients, storage):
    # Given a 1 MB limit (S3 refuses a larger POST by the policy; the emulator does not, so arrival checks)
    small = dataclasses.replace(clients, config=clients.config.replace(upload_max_mb=1))
    submit = Submitter(small)
    upload = submit.presign_video("big.mp4")
    post(upload, "big.mp4", b"\0" * (3 * 1024 * 1024 // 2))
    with pytest.raises(RequestError, match=r"^big.mp4 is 1.5 MB; the dashboard takes up to 1 MB a file "
                                           r"\(BRANDVIS_UPLOAD_MAX_MB\)$"):
        submit.adopt_video(upload, "big.mp4")
    assert list(storage.list_keys("")) == []  # and it is removed
    # An upload that never arrived, and a limit past what one POST can carry, say so
    with pytest.raises(RequestError, match="lost.mp4 did not arrive in the bucket; upload it again"):
        submit.adopt_video(submit.presign_video("lost.mp4"), "lost.mp4")
    huge = dataclasses.replace(clients, config=clients.config.replace(upload_max_mb=8192))
    with pytest.raises(RequestError, match="8,192 MB cannot be sent in one POST"):
        Submitter(huge).presign_video("x.mp4")


def test_videos_and_images_to_label_are_adopted_and_trained_from_the_bucket(clients, storage, tmp_path):
    # Given a video and an image a browser posted for the Train page
    from shared.submit import StoredImage
    from tests import media_factory

    submit = Submitter(clients)
    video = media_factory.make_video(tmp_path / "match.mp4", seconds=1, fps=12, size=(64, 36), gop=12)
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    posted = []
    for name, body in (("match.mp4", video.read_bytes()), ("crowd shot.png", image)):
        upload = submit.presign_video(name)
        assert post(upload, name, body).status_code in (200, 201, 204)
        posted.append(submit.adopt_media(upload, name))
    # Then each is at its content key: the video as a source, the image as a dataset file
    clip, still = posted
    cid = hashlib.sha256(image).hexdigest()[:16]
    assert clip.key == layout.source_key(hashlib.sha256(video.read_bytes()).hexdigest()[:16], "match.mp4")
    assert still == StoredImage(cid, layout.dataset_file_key(cid, "crowd_shot.png"), "crowd shot.png")
    assert storage.get_bytes(still.key) == image and list(storage.list_keys(INCOMING)) == []
    # And a labeling job starts from them, nothing uploaded again
    job, mv = submit.train_media(posted, "Acme,Borealis", "logos")
    assert job.request["videos"] == [clip.model_dump()] and job.request["images"] == 1
    assert storage.get_json(job.request["images_key"]) == [{"id": cid, "key": still.key, "name": "crowd shot.png"}]


def test_a_manifest_names_images_a_browser_put_in_the_bucket(clients, storage):
    # Given three images a browser posted beside a manifest (folders in the references, as CVAT writes them)
    import io

    import numpy as np

    from shared.media.images import encode_jpeg
    from tests.test_security import _manifest

    submit = Submitter(clients)
    images = []
    for n in range(3):
        upload = submit.presign_video(f"{n}.jpg")
        assert post(upload, f"{n}.jpg", encode_jpeg(np.full((40, 60, 3), 40 * n, np.uint8))).status_code < 300
        images.append(submit.adopt_media(upload, f"{n}.jpg"))
    refs = ["/data/images/0.jpg", "../up/1.jpg", "sub/2.jpg"]
    # When the manifest is sent with them
    job, mv = submit.train_uploaded(_manifest(*refs), "m.manifest", images, "logos")
    # Then every reference points at the image where it landed, nothing uploaded again
    where = storage.get_json(f"{mv.prefix}/images.json")
    assert {ref: where[ref] for ref in refs} == {ref: storage.uri(i.key) for ref, i in zip(refs, images)}
    # and a reference to an image not sent is refused as before
    with pytest.raises(Exception, match="'3.jpg' is not one of the images uploaded with the manifest"):
        submit.train_uploaded(io.BytesIO(_manifest(*refs, "3.jpg").getvalue()), "m.manifest", images, "logos")
