"""The SageMaker Ground Truth documentation's own examples, as the shapes our files must match.

Sources: SageMaker Developer Guide, "Set up video frame input data manually" (sequence file and
its manifest), "Create a labeling category configuration file" and the AWS sample's
`boundingBoxLabelingJob.js` (label configuration), "Labeling job output data" (video frame object
detection output and SeqLabel.json; image classification output). Only the doc's placeholders
(`[...]`, trailing commas, `{name: value}`) were made valid JSON.
"""

SEQUENCE_FILE = {
    "seq-no": 1,
    "prefix": "s3://amzn-s3-demo-bucket/prefix/video1/",
    "number-of-frames": 3,
    "frames": [
        {"frame-no": 1, "unix-timestamp": 1566861644, "frame": "frame0001.jpg"},
        {"frame-no": 2, "unix-timestamp": 1566861644, "frame": "frame0002.jpg"},
        {"frame-no": 3, "unix-timestamp": 1566861644, "frame": "frame0003.jpg"},
    ],
}
SEQUENCE_FRAME_REQUIRED = {"frame-no", "frame"}  # unix-timestamp is optional

INPUT_MANIFEST_LINE = {"source-ref": "s3://amzn-s3-demo-bucket/example-folder/seq1.json"}

VIDEO_LABEL_CONFIG = {  # the AWS sample's file, which its working jobs used
    "document-version": "2020-03-01",
    "labels": [{"label": "AWS"}, {"label": "DeepRacer"}],
    "categoryGlobalAttributes": [],
    "instructions": {"shortInstruction": "SHORT DESCRIPTION", "fullInstruction": "LONG DESCRIPTION"},
}

CLASS_LABEL_CONFIG = {"document-version": "2018-11-28", "labels": [{"label": "a"}, {"label": "b"}]}

VIDEO_OUTPUT_LINE = {
    "source-ref": "s3://DOC-EXAMPLE-BUCKET/example-path/input-manifest.json",
    "CarObjectDetection-ref": "s3://AWSDOC-EXAMPLE-BUCKET/output/labeling-job-name/annotations/"
                              "consolidated-annotation/output/0/SeqLabel.json",
    "CarObjectDetection-ref-metadata": {
        "class-map": {"0": "car", "1": "bus"},
        "job-name": "labeling-job/labeling-job-name",
        "human-annotated": "yes",
        "creation-date": "2021-09-29T05:50:35.566000",
        "type": "groundtruth/video-object-detection",
    },
}

SEQ_LABEL = {
    "detection-annotations": [
        {
            "annotations": [
                {"height": 41, "width": 53, "top": 152, "left": 339, "class-id": "1",
                 "label-category-attributes": {"occluded": "no", "size": "medium"}},
                {"height": 24, "width": 37, "top": 148, "left": 183, "class-id": "0",
                 "label-category-attributes": {"occluded": "no"}},
            ],
            "frame-no": 0,
            "frame": "frame_0000.jpeg",
            "frame-attributes": {},
        }
    ]
}

CLASS_OUTPUT_LINE = {
    "source-ref": "s3://AWSDOC-EXAMPLE-BUCKET/image_example.png",
    "sport": 0,
    "sport-metadata": {"class-name": "football", "confidence": 0.00, "type": "groundtruth/image-classification",
                       "job-name": "identify-sport", "human-annotated": "yes",
                       "creation-date": "2018-10-18T22:18:13.527256"},
}


def same_shape(ours: object, doc: object, path: str = "$") -> list[str]:
    """Where `ours` differs from the documented example in keys or value types (not values)."""
    if isinstance(doc, dict):
        if not isinstance(ours, dict):
            return [f"{path}: {type(ours).__name__}, documented as an object"]
        if doc and all(k.isdigit() for k in doc):  # a map keyed by class id (class-map): its keys are data
            return [f"{path}: key {k!r} is not a class id" for k in ours if not k.isdigit()] + \
                [p for k, v in ours.items() for p in same_shape(v, next(iter(doc.values())), f"{path}.{k}")]
        found = [f"{path}: key {k!r} not in the documentation" for k in ours if k not in doc]
        found += [f"{path}: documented key {k!r} missing" for k in doc if k not in ours]
        for k in ours.keys() & doc.keys():
            found += same_shape(ours[k], doc[k], f"{path}.{k}")
        return found
    if isinstance(doc, list):
        if not isinstance(ours, list):
            return [f"{path}: {type(ours).__name__}, documented as a list"]
        return [p for i, item in enumerate(ours) for p in same_shape(item, doc[0], f"{path}[{i}]")] if doc else []
    if isinstance(doc, bool) or isinstance(ours, bool):
        return [] if type(doc) is type(ours) else [f"{path}: {type(ours).__name__}, documented as {type(doc).__name__}"]
    if isinstance(doc, (int, float)) and isinstance(ours, (int, float)):
        if isinstance(doc, int) and not isinstance(ours, int):
            return [f"{path}: {ours!r} is not an integer"]
        return []
    return [] if type(doc) is type(ours) else [f"{path}: {type(ours).__name__}, documented as {type(doc).__name__}"]
