"""Training manifests: the documented Ground Truth / Rekognition shapes and COCO in, errors that say where.

Fixture lines are copied from the AWS documentation:
- Rekognition object localization:
  https://docs.aws.amazon.com/rekognition/latest/customlabels-dg/md-create-manifest-file-object-detection.html
- Rekognition image-level labels (incl. "Adding multiple image-level labels to an image"):
  https://docs.aws.amazon.com/rekognition/latest/customlabels-dg/md-create-manifest-file-classification.html
- Ground Truth output (classification, multi-label classification, bounding box):
  https://docs.aws.amazon.com/sagemaker/latest/dg/sms-data-output.html
"""

from __future__ import annotations

import json

import pytest

from shared.errors import JobError
from shared.models.dataset import Box, Dataset, Item
from shared.models.manifest import (
    MIN_EXAMPLES, ManifestError, label_problems, parse_manifest, read_manifest, resolve_sources, to_ground_truth_lines,
    validate,
)

# Rekognition, object localization.
REKOGNITION_BOXES = '{"source-ref": "s3://bucket/images/IMG_1186.png", "bounding-box": {"image_size": [{"width": 640, "height": 480, "depth": 3}], "annotations": [{ "class_id": 1, "top": 251, "left": 399, "width": 155, "height": 101}, {"class_id": 0, "top": 65, "left": 86, "width": 220, "height": 334}]}, "bounding-box-metadata": {"objects": [{ "confidence": 1}, {"confidence": 1}], "class-map": {"0": "Echo", "1": "Echo Dot"}, "type": "groundtruth/object-detection", "human-annotated": "yes", "creation-date": "2013-11-18T02:53:27", "job-name": "my job"}}'  # noqa: E501

# Ground Truth, bounding box job output (one line; the docs pretty-print it).
GROUND_TRUTH_BOXES = json.dumps({
    "source-ref": "s3://AWSDOC-EXAMPLE-BUCKET/example_image.png",
    "bounding-box": {
        "image_size": [{"width": 500, "height": 400, "depth": 3}],
        "annotations": [
            {"class_id": 0, "left": 111, "top": 134, "width": 61, "height": 128},
            {"class_id": 5, "left": 161, "top": 250, "width": 30, "height": 30},
            {"class_id": 5, "left": 20, "top": 20, "width": 30, "height": 30},
        ],
    },
    "bounding-box-metadata": {
        "objects": [{"confidence": 0.8}, {"confidence": 0.9}, {"confidence": 0.9}],
        "class-map": {"0": "dog", "5": "bone"},
        "type": "groundtruth/object-detection",
        "human-annotated": "yes",
        "creation-date": "2018-10-18T22:18:13.527256",
        "job-name": "identify-dogs-and-toys",
    },
})

# Rekognition, image-level labels: the console's line, the "Sunrise" line, and two labels on one image.
REKOGNITION_CONCEPT = '{"source-ref":"s3://custom-labels-console-us-east-1-nnnnnnnnnn/gt-job/manifest/IMG_1133.png","TestCLConsoleBucket":0,"TestCLConsoleBucket-metadata":{"confidence":0.95,"job-name":"labeling-job/testclconsolebucket","class-name":"Echo Dot","human-annotated":"yes","creation-date":"2020-04-15T20:17:23.433061","type":"groundtruth/image-classification"}}'  # noqa: E501
REKOGNITION_SUNRISE = json.dumps({
    "source-ref": "s3://bucket/images/sunrise.png",
    "testdataset-classification_Sunrise": 1,
    "testdataset-classification_Sunrise-metadata": {
        "confidence": 1,
        "job-name": "labeling-job/testdataset-classification_Sunrise",
        "class-name": "Sunrise",
        "human-annotated": "yes",
        "creation-date": "2020-03-06T17:46:39.176",
        "type": "groundtruth/image-classification",
    },
})
REKOGNITION_TWO_LABELS = json.dumps({
    "source-ref": "S3 bucket location",
    "sport0": 0,
    "sport0-metadata": {"class-name": "football", "confidence": 0.8, "type": "groundtruth/image-classification",
                        "job-name": "identify-sport", "human-annotated": "yes",
                        "creation-date": "2018-10-18T22:18:13.527256"},
    "sport1": 1,
    "sport1-metadata": {"class-name": "ball", "confidence": 0.8, "type": "groundtruth/image-classification",
                        "job-name": "identify-sport", "human-annotated": "yes",
                        "creation-date": "2018-10-18T22:18:13.527256"},
})

# Ground Truth, classification (value as a string, as the docs show it) and multi-label classification.
GROUND_TRUTH_SPECIES = json.dumps({
    "source-ref": "s3://AWSDOC-EXAMPLE-BUCKET/example_image.jpg",
    "species": "0",
    "species-metadata": {"class-name": "dog", "confidence": 0.00, "type": "groundtruth/image-classification",
                         "job-name": "identify-animal-species", "human-annotated": "yes",
                         "creation-date": "2018-10-18T22:18:13.527256"},
})
GROUND_TRUTH_MULTILABEL = json.dumps({
    "source-ref": "s3://AWSDOC-EXAMPLE-BUCKET/example_image.jpg",
    "image-label-attribute-name": [1, 0, 8],
    "image-label-attribute-name-metadata": {
        "job-name": "labeling-job/image-label-attribute-name",
        "class-map": {"1": "bicycle", "0": "person", "8": "clothing"},
        "human-annotated": "yes",
        "creation-date": "2020-02-27T21:36:25.000201",
        "confidence-map": {"1": 0.95, "0": 0.77, "8": 0.2},
        "type": "groundtruth/image-classification-multilabel",
    },
})

# What CVAT / Label Studio export: image 3 has no boxes (a negative).
COCO = {
    "images": [{"id": 1, "file_name": "images/a.jpg", "width": 640, "height": 480},
               {"id": 2, "file_name": "images/b.jpg", "width": 1280, "height": 720},
               {"id": 3, "file_name": "images/c.jpg", "width": 640, "height": 480}],
    "annotations": [{"id": 10, "image_id": 1, "category_id": 1, "bbox": [10.5, 20, 100, 50], "iscrowd": 0},
                    {"id": 11, "image_id": 1, "category_id": 2, "bbox": [300, 200, 40, 40], "iscrowd": 0},
                    {"id": 12, "image_id": 2, "category_id": 1, "bbox": [0, 0, 1280, 720], "iscrowd": 0}],
    "categories": [{"id": 1, "name": "AWS", "supercategory": ""}, {"id": 2, "name": "Amazon", "supercategory": ""}],
}


def negative(source: str = "s3://bucket/images/empty.png", attribute: str = "bounding-box") -> str:
    return json.dumps({"source-ref": source,
                       attribute: {"image_size": [{"width": 640, "height": 480, "depth": 3}], "annotations": []},
                       f"{attribute}-metadata": {"objects": [], "class-map": {}, "type": "groundtruth/object-detection",
                                                 "human-annotated": "yes", "creation-date": "2020-01-01T00:00:00",
                                                 "job-name": "my job"}})


def boxes_line(source: str, boxes: list[tuple[int, int, int, int, int]], size=(640, 480),
               class_map=None, attribute: str = "bounding-box") -> str:
    return json.dumps({
        "source-ref": source,
        attribute: {"image_size": [{"width": size[0], "height": size[1], "depth": 3}],
                    "annotations": [dict(zip(("class_id", "left", "top", "width", "height"), b)) for b in boxes]},
        f"{attribute}-metadata": {"objects": [{"confidence": 1} for _ in boxes],
                                  "class-map": class_map or {"0": "Acme", "1": "Globex"},
                                  "type": "groundtruth/object-detection", "human-annotated": "yes",
                                  "creation-date": "2020-01-01T00:00:00", "job-name": "my job"}})


def concept_line(source: str, label: str, attribute: str = "brand") -> str:
    return json.dumps({"source-ref": source, attribute: 0,
                       f"{attribute}-metadata": {"confidence": 1, "class-name": label, "human-annotated": "yes",
                                                 "creation-date": "2020-01-01T00:00:00",
                                                 "type": "groundtruth/image-classification"}})


# -- parsing the documented shapes ---------------------------------------------------------------
def test_documented_bounding_box_lines_parse_to_pixel_boxes_and_keep_negatives():
    # Given the Rekognition and Ground Truth bounding-box examples, a blank line and a negative frame
    text = "\n".join([REKOGNITION_BOXES, "", GROUND_TRUTH_BOXES, negative()])

    # When it is parsed without a type
    dataset = parse_manifest(text)

    # Then the type comes from the metadata, boxes are in pixels with class ids mapped to names
    assert dataset.type == "object" and dataset.source_format == "groundtruth"
    assert dataset.attribute == "bounding-box"
    assert dataset.labels == ["Echo", "Echo Dot", "bone", "dog"]
    first, second, empty = dataset.items
    assert (first.source_ref, first.width, first.height, first.line) == ("s3://bucket/images/IMG_1186.png", 640, 480, 1)
    assert first.boxes == [Box("Echo Dot", 399, 251, 155, 101), Box("Echo", 86, 65, 220, 334)]
    assert second.line == 3 and (second.width, second.height) == (500, 400)
    assert [b.label for b in second.boxes] == ["dog", "bone", "bone"]
    # And the empty annotations line is kept as a negative frame
    assert empty.boxes == [] and empty.line == 4
    assert dataset.count() == {"Echo": 1, "Echo Dot": 1, "bone": 2, "dog": 1}


def test_label_attribute_is_found_from_its_metadata_companion_among_other_keys():
    # Given a Ground Truth line whose attribute is the job name, with unrelated keys and a verification job beside it
    line = json.loads(boxes_line("s3://b/x.png", [(0, 1, 2, 3, 4)], attribute="my-job"))
    line.update({"camera": "north", "notes-metadata": "not a companion",
                 "verify": "1", "verify-metadata": {"class-name": "good", "type": "groundtruth/label-verification"}})

    # When it is parsed
    dataset = parse_manifest(json.dumps(line))

    # Then the bounding-box attribute is the one used, the others are ignored
    assert dataset.attribute == "my-job"
    assert dataset.items[0].boxes == [Box("Acme", 1, 2, 3, 4)]


def test_adjusted_boxes_win_over_the_original_ones():
    # Given the output of a bounding-box adjustment job: original and adjusted attributes on one line
    line = json.loads(GROUND_TRUTH_BOXES)
    adjusted = json.loads(boxes_line("ignored", [(0, 110, 135, 61, 128)], class_map={"0": "dog"}))
    line["adjusted-bounding-box"] = adjusted["bounding-box"]
    line["adjusted-bounding-box-metadata"] = {**adjusted["bounding-box-metadata"], "adjustment-status": "adjusted"}

    # When it is parsed
    dataset = parse_manifest(json.dumps(line))

    # Then the adjusted boxes are the ones kept
    assert dataset.attribute == "adjusted-bounding-box"
    assert dataset.items[0].boxes == [Box("dog", 110, 135, 61, 128)]


def test_documented_image_level_lines_parse_to_concept_labels():
    # Given Rekognition's image-level examples (one with two labels) and Ground Truth's classification outputs
    text = "\n".join([REKOGNITION_CONCEPT, REKOGNITION_SUNRISE, REKOGNITION_TWO_LABELS,
                      GROUND_TRUTH_SPECIES, GROUND_TRUTH_MULTILABEL])

    # When it is parsed
    dataset = parse_manifest(text, kind="concept")

    # Then the label is class-name (the value is an unused id), multi-label ids go through the class-map
    assert dataset.type == "concept" and dataset.attribute == "TestCLConsoleBucket"
    assert [i.labels for i in dataset.items] == [["Echo Dot"], ["Sunrise"], ["football", "ball"], ["dog"],
                                                 ["bicycle", "person", "clothing"]]
    assert dataset.labels == sorted({"Echo Dot", "Sunrise", "football", "ball", "dog", "bicycle", "person", "clothing"})
    assert all(i.boxes == [] for i in dataset.items)


def test_coco_parses_with_images_without_annotations_as_negatives():
    # Given a COCO export where image 3 has no annotation
    text = json.dumps(COCO, indent=2)

    # When it is parsed
    dataset = parse_manifest(text)

    # Then each image is an item keyed by its id, bbox [x, y, w, h] becomes a pixel box
    assert (dataset.type, dataset.source_format, dataset.labels) == ("object", "coco", ["AWS", "Amazon"])
    a, b, c = dataset.items
    assert (a.source_ref, a.width, a.height, a.line) == ("images/a.jpg", 640, 480, 1)
    assert a.boxes == [Box("AWS", 10.5, 20, 100, 50), Box("Amazon", 300, 200, 40, 40)]
    assert b.boxes == [Box("AWS", 0, 0, 1280, 720)]
    assert c.boxes == [] and c.line == 3


# -- broken manifests ----------------------------------------------------------------------------
def test_malformed_line_is_named_with_its_number():
    # Given a manifest whose third line (after a blank one) lacks a comma
    text = "\n".join([REKOGNITION_BOXES, "", '{"source-ref": "s3://b/x.png" "bounding-box": {}}'])

    # When it is parsed, Then the error names the line and the JSON problem, and is a user-facing JobError
    with pytest.raises(ManifestError, match=r"train.manifest line 3: not valid JSON \(Expecting ',' delimiter\)") as e:
        parse_manifest(text, name="train.manifest")
    assert isinstance(e.value, JobError)


def test_class_id_missing_from_the_class_map_is_named():
    # Given a line whose box uses class 7 while the class-map knows 0 and 1
    text = "\n".join([REKOGNITION_BOXES, boxes_line("s3://b/x.png", [(7, 1, 1, 5, 5)])])

    # When it is parsed, Then the line, the id and the known ids are named
    with pytest.raises(ManifestError, match=r"line 2: box 1 has class_id 7 which is not in the class-map of "
                                            r"'bounding-box' \(known: 0, 1\)"):
        parse_manifest(text)


def test_multilabel_class_id_missing_from_the_class_map_is_named():
    # Given the documented multi-label line with an id the class-map lacks
    line = json.loads(GROUND_TRUTH_MULTILABEL)
    line["image-label-attribute-name"] = [1, 4]

    # When it is parsed, Then the id is named
    with pytest.raises(ManifestError, match="line 1: class id 4 is not in the class-map"):
        parse_manifest(json.dumps(line))


def test_box_outside_the_image_names_the_line_and_label():
    # Given a 640x480 image with a box running off its right edge
    dataset = parse_manifest(boxes_line("s3://b/x.png", [(1, 600, 10, 100, 50)]))

    # When it is validated, Then the line, the label and the image size are named
    with pytest.raises(ManifestError, match=r"line 1 \(s3://b/x.png\): box 'Globex' \(left 600, top 10, width 100, "
                                            r"height 50\) lies outside the 640x480 image"):
        validate(dataset, min_examples=1)


def test_box_without_area_is_refused():
    # Given a box of zero width
    dataset = parse_manifest(boxes_line("s3://b/x.png", [(0, 10, 10, 0, 50)]))

    # When it is validated, Then it is named
    with pytest.raises(ManifestError, match=r"line 1 .*box 'Acme' .* has no area"):
        validate(dataset, min_examples=1)


def test_coco_box_outside_the_image_names_the_image_id():
    # Given a COCO box past the bottom of its 640x480 image
    coco = json.loads(json.dumps(COCO))
    coco["annotations"][1]["bbox"] = [300, 460, 40, 40]

    # When it is validated, Then the image id and file are named
    with pytest.raises(ManifestError, match=r"image 1 \(images/a.jpg\): box 'Amazon' .* outside the 640x480 image"):
        validate(parse_manifest(json.dumps(coco)), min_examples=1)


def test_label_with_too_few_examples_says_how_many_are_needed():
    # Given 'Acme' with 3 boxes and 'Globex' with 2
    text = "\n".join([boxes_line("s3://b/1.png", [(0, 1, 1, 5, 5), (1, 10, 10, 5, 5)]),
                      boxes_line("s3://b/2.png", [(0, 1, 1, 5, 5), (1, 10, 10, 5, 5)]),
                      boxes_line("s3://b/3.png", [(0, 1, 1, 5, 5)])])
    dataset = parse_manifest(text)

    # When it is validated with the default minimum, Then only 'Globex' is refused, with both counts
    assert MIN_EXAMPLES["object"] == 3
    with pytest.raises(ManifestError) as e:
        validate(dataset)
    assert str(e.value) == "label 'Globex' has 2 examples (lines 1, 2); at least 3 are needed"
    # And a lower minimum accepts it
    assert validate(dataset, min_examples=2) is None


def test_unknown_type_lists_the_accepted_ones():
    # Given a valid manifest, When an unknown type is asked for, Then the accepted ones are listed
    with pytest.raises(ManifestError, match="unknown type 'segmentation'; accepted: object, concept"):
        parse_manifest(REKOGNITION_BOXES, kind="segmentation")


@pytest.mark.parametrize("text,kind,message", [
    (REKOGNITION_BOXES, "concept",
     r"line 1: 'bounding-box' holds object labels \(groundtruth/object-detection\), but type 'concept' was asked for"),
    (REKOGNITION_SUNRISE, "object",
     r"line 1: 'testdataset-classification_Sunrise' holds concept labels \(groundtruth/image-classification\), "
     r"but type 'object' was asked for"),
    (json.dumps(COCO), "concept", r"COCO file of bounding boxes \(type 'object'\), not 'concept'"),
])
def test_type_that_disagrees_with_the_file_is_refused(text, kind, message):
    # Given a manifest of one type, When the other is asked for, Then the error says what the file holds
    with pytest.raises(ManifestError, match=message):
        parse_manifest(text, kind=kind)


def test_mixed_manifest_asks_for_a_type():
    # Given boxes on one line and image-level labels on the next, When parsed without a type, Then a type is asked for
    with pytest.raises(ManifestError, match="both bounding boxes and image-level labels; choose a type"):
        parse_manifest("\n".join([REKOGNITION_BOXES, REKOGNITION_SUNRISE]))


def test_line_without_a_label_attribute_is_refused():
    # Given an unlabeled line (as in a Ground Truth input manifest) after a labeled one
    text = "\n".join([REKOGNITION_BOXES, '{"source-ref": "s3://b/unlabeled.png"}'])

    # When it is parsed, Then it is not silently taken as a negative
    with pytest.raises(ManifestError, match="line 2: no object label attribute"):
        parse_manifest(text)


@pytest.mark.parametrize("text", ["", "  \n\n", "\ufeff\n"])
def test_empty_manifest_is_refused(text):
    # Given an empty file, When it is parsed, Then it says so
    with pytest.raises(ManifestError, match="train.manifest is empty"):
        parse_manifest(text, name="train.manifest")


def test_dataset_without_items_or_concept_labels_is_refused():
    # Given no items at all, and a concept item that has no label
    empty = Dataset("object", [], [])
    unlabeled = Dataset("concept", ["Acme"], [Item("a.png", labels=["Acme"], line=1), Item("b.png", line=2)])

    # When they are validated, Then each problem is named
    with pytest.raises(ManifestError, match="the dataset has no images"):
        validate(empty)
    with pytest.raises(ManifestError, match=r"line 2 \(b.png\): no label"):
        validate(unlabeled, min_examples=1)


def test_every_problem_is_listed_at_once():
    # Given a box outside its image and two under-represented labels
    text = "\n".join([boxes_line("s3://b/1.png", [(0, 600, 1, 100, 5)]), boxes_line("s3://b/2.png", [(1, 1, 1, 5, 5)])])

    # When it is validated, Then all three problems are in one message
    with pytest.raises(ManifestError) as e:
        validate(parse_manifest(text))
    assert str(e.value).splitlines() == [
        "line 1 (s3://b/1.png): box 'Acme' (left 600, top 1, width 100, height 5) lies outside the 640x480 image",
        "label 'Acme' has 1 example (line 1); at least 3 are needed",
        "label 'Globex' has 1 example (line 2); at least 3 are needed",
    ]


# -- where images are -----------------------------------------------------------------------------
def test_sources_resolve_against_a_local_manifest_folder():
    # Given relative, parent-relative, absolute and s3 source-refs
    dataset = Dataset("object", [], [Item("images/a.jpg"), Item("../shared/b.jpg"), Item("/data/c.jpg"),
                                     Item("s3://other/d.jpg")])

    # When resolved against a manifest on disk
    refs = resolve_sources(dataset, "/work/labels/train.manifest")

    # Then relative paths join the manifest's folder, the rest are unchanged
    assert refs == ["/work/labels/images/a.jpg", "/work/shared/b.jpg", "/data/c.jpg", "s3://other/d.jpg"]


def test_sources_resolve_against_an_s3_manifest_location():
    # Given relative and s3 source-refs
    dataset = Dataset("object", [], [Item("images/a.jpg"), Item("./b.jpg"), Item("../c.jpg"), Item("s3://other/d.jpg")])

    # When resolved against a manifest in S3
    refs = resolve_sources(dataset, "s3://bucket/jobs/labels/output.manifest")

    # Then relative keys join the manifest's prefix, in the manifest's bucket
    assert refs == ["s3://bucket/jobs/labels/images/a.jpg", "s3://bucket/jobs/labels/b.jpg", "s3://bucket/jobs/c.jpg",
                    "s3://other/d.jpg"]


def test_source_escaping_the_manifest_bucket_is_refused():
    # Given a ref that climbs above the bucket root, When resolved, Then the line is named
    dataset = Dataset("object", [], [Item("../../x.jpg", line=4)])
    with pytest.raises(ManifestError, match=r"line 4 \(../../x.jpg\): points outside the bucket s3://bucket"):
        resolve_sources(dataset, "s3://bucket/labels/train.manifest")


# -- writing Ground Truth --------------------------------------------------------------------------
def test_object_dataset_round_trips_through_ground_truth_lines():
    # Given the documented boxes, a negative and a COCO dataset
    documented = parse_manifest("\n".join([REKOGNITION_BOXES, GROUND_TRUTH_BOXES, negative()]))
    coco = parse_manifest(json.dumps(COCO))
    for dataset in (documented, coco):
        refs = [f"s3://up/{n}.png" for n in range(len(dataset.items))]

        # When it is written as Ground Truth lines with uploaded refs and read back
        text = to_ground_truth_lines(dataset, refs)
        back = parse_manifest(text)

        # Then boxes, sizes, labels and type are unchanged, with the new refs
        assert (back.type, back.labels, back.attribute) == (dataset.type, dataset.labels, "bounding-box")
        assert [(i.width, i.height, i.boxes) for i in back.items] == \
            [(i.width, i.height, i.boxes) for i in dataset.items]
        assert [i.source_ref for i in back.items] == refs
    # And the GT-sourced dataset is equal once refs and lines are set back
    for item, original in zip(back.items, coco.items):
        item.source_ref, item.line = original.source_ref, original.line
    assert Dataset(back.type, back.labels, back.items, back.attribute, "coco") == coco


def test_written_lines_have_the_documented_shape():
    # Given a parsed documented line, When it is written back
    line = json.loads(to_ground_truth_lines(parse_manifest(REKOGNITION_BOXES), ["s3://up/1.png"]))

    # Then it has Rekognition's required keys, class ids indexing the sorted labels
    assert line["bounding-box"]["image_size"] == [{"width": 640, "height": 480, "depth": 3}]
    assert line["bounding-box"]["annotations"][0] == \
        {"class_id": 1, "top": 251, "left": 399, "width": 155, "height": 101}
    meta = line["bounding-box-metadata"]
    assert meta["class-map"] == {"0": "Echo", "1": "Echo Dot"} and meta["type"] == "groundtruth/object-detection"
    assert {"objects", "human-annotated", "creation-date", "job-name"} <= meta.keys()


def test_concept_dataset_round_trips_with_one_attribute_per_label():
    # Given the documented image-level lines, one image with two labels
    dataset = parse_manifest("\n".join([REKOGNITION_CONCEPT, REKOGNITION_TWO_LABELS, GROUND_TRUTH_MULTILABEL]))
    refs = ["s3://up/1.png", "s3://up/2.png", "s3://up/3.png"]

    # When it is written under the attribute 'brand' and read back
    text = to_ground_truth_lines(dataset, refs, attribute="brand")
    back = parse_manifest(text)

    # Then labels per image survive, each as a groundtruth/image-classification attribute
    assert [i.labels for i in back.items] == [i.labels for i in dataset.items]
    assert (back.type, back.labels, back.attribute) == ("concept", dataset.labels, "brand")
    second = json.loads(text.splitlines()[1])
    assert [second[k]["class-name"] for k in ("brand-metadata", "brand_1-metadata")] == ["football", "ball"]


def test_writing_boxes_needs_the_image_size():
    # Given a COCO image without width/height
    coco = json.loads(json.dumps(COCO))
    del coco["images"][1]["width"]
    dataset = parse_manifest(json.dumps(coco))

    # When it is written, Then the image is named
    with pytest.raises(ManifestError, match=r"image 2 \(images/b.jpg\): image size unknown"):
        to_ground_truth_lines(dataset, ["a", "b", "c"])


def test_coco_annotation_with_unknown_category_is_named():
    # Given a COCO annotation pointing at category 9
    coco = json.loads(json.dumps(COCO))
    coco["annotations"][2]["category_id"] = 9

    # When it is parsed, Then the annotation, its image and the category are named
    with pytest.raises(ManifestError, match=r"annotation 12 \(image 2\): category_id 9 is not in categories"):
        parse_manifest(json.dumps(coco))


def test_concept_manifest_from_csv_style_lines_validates():
    # Given three images per label, as a concept manifest
    text = "\n".join(concept_line(f"s3://b/{label}{n}.png", label) for label in ("Acme", "Globex") for n in range(3))

    # When it is parsed and validated, Then it passes with three examples each
    dataset = parse_manifest(text)
    assert validate(dataset) is None
    assert dataset.count() == {"Acme": 3, "Globex": 3}


# -- every problem at once ------------------------------------------------------------------------
def test_every_broken_line_is_listed_not_only_the_first():
    # Given good lines around four broken ones: bad JSON, no object, no source-ref, an unknown class id
    good = boxes_line("s3://b/1.png", [(0, 1, 1, 5, 5)])
    text = "\n".join([good, "{not json", "[1, 2]", good.replace('"source-ref"', '"source"'),
                      boxes_line("s3://b/5.png", [(7, 1, 1, 5, 5)]), good])

    # When it is read, Then each broken line is named with its number, in file order, and the rest is kept
    dataset, found = read_manifest(text, name="train.manifest")
    assert [p.split(":")[0] for p in found] == [f"train.manifest line {n}" for n in (2, 3, 4, 5)]
    assert "not valid JSON" in found[0] and "expected a JSON object, got list" in found[1]
    assert "no source-ref" in found[2] and "class_id 7" in found[3]
    assert [item.line for item in dataset.items] == [1, 6]
    # And parse_manifest refuses the file with all four
    with pytest.raises(ManifestError) as e:
        parse_manifest(text, name="train.manifest")
    assert str(e.value).splitlines() == found


def test_every_broken_coco_annotation_is_listed():
    # Given two bad annotations (unknown image, unknown category) beside good ones
    coco = json.loads(json.dumps(COCO))
    coco["annotations"] += [{"id": 90, "image_id": 99, "category_id": 1, "bbox": [1, 1, 5, 5]},
                            {"id": 91, "image_id": 1, "category_id": 42, "bbox": [1, 1, 5, 5]}]

    # When it is read, Then both are named by annotation id, and the good boxes are kept
    dataset, found = read_manifest(json.dumps(coco))
    assert [p.split(":")[0] for p in found] == ["manifest annotation 90", "manifest annotation 91 (image 1)"]
    assert sum(len(i.boxes) for i in dataset.items) == len(COCO["annotations"])


def test_a_label_with_too_few_examples_names_where_they_are():
    # Given 'Globex' on lines 2 and 4 only
    text = "\n".join([boxes_line("s3://b/1.png", [(0, 1, 1, 5, 5)]),
                      boxes_line("s3://b/2.png", [(0, 1, 1, 5, 5), (1, 9, 9, 5, 5)]),
                      boxes_line("s3://b/3.png", [(0, 1, 1, 5, 5)]), boxes_line("s3://b/4.png", [(1, 9, 9, 5, 5)])])

    # When its labels are checked, Then the message names the lines of its examples
    assert label_problems(parse_manifest(text)) == ["label 'Globex' has 2 examples (lines 2, 4); at least 3 are needed"]
