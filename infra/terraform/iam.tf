# Least privilege for the two sides. Attach `worker` to the workers' task role and `client` to
# whoever runs the dashboard or CLI: clients only write job requests and read state.

data "aws_partition" "current" {}

data "aws_iam_policy_document" "worker" {
  statement {
    sid = "StageQueues"
    actions = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:SendMessage",
    "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
    resources = concat([for q in aws_sqs_queue.stage : q.arn], [for q in aws_sqs_queue.dlq : q.arn])
  }
  statement {
    sid = "JobsTable"
    actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query",
    "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"]
    resources = [aws_dynamodb_table.jobs.arn, "${aws_dynamodb_table.jobs.arn}/index/*"]
  }
  statement {
    sid       = "DataBucketObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.data.arn}/*"]
  }
  statement {
    sid       = "DataBucketList"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.data.arn]
  }
  # The Rekognition backend: brandvis's own Custom Labels projects (<prefix>-<model>) and their
  # versions only. Rekognition reads the training manifest and frames with these same rights.
  statement {
    sid = "CustomLabelsModels"
    actions = ["rekognition:CreateProject", "rekognition:CreateProjectVersion", "rekognition:DescribeProjectVersions",
    "rekognition:StartProjectVersion", "rekognition:StopProjectVersion", "rekognition:DetectCustomLabels"]
    resources = ["arn:${data.aws_partition.current.partition}:rekognition:${var.region}:${data.aws_caller_identity.current.account_id}:project/${var.prefix}-*"]
  }
  statement {
    sid       = "CustomLabelsLookup"
    actions   = ["rekognition:DescribeProjects", "rekognition:DetectText"] # neither takes a resource-level condition
    resources = ["*"]
  }
  # The Ground Truth labeler: start a labeling job (tagged with its brandvis job) and read why one
  # failed. Job names derive from model names, so the resource is any labeling job of this account.
  statement {
    sid       = "GroundTruthLabelingJobs"
    actions   = ["sagemaker:CreateLabelingJob", "sagemaker:DescribeLabelingJob", "sagemaker:AddTags"]
    resources = ["arn:${data.aws_partition.current.partition}:sagemaker:${var.region}:${data.aws_caller_identity.current.account_id}:labeling-job/*"]
  }
  statement {
    sid       = "PassGroundTruthRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.groundtruth.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "client" {
  statement {
    sid       = "SendJobRequests"
    actions   = ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
    resources = [for q in aws_sqs_queue.stage : q.arn]
  }
  statement {
    sid       = "ReadDeadLetters"
    actions   = ["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
    resources = [for q in aws_sqs_queue.dlq : q.arn]
  }
  statement {
    sid = "JobsTable"
    actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query",
    "dynamodb:BatchWriteItem"]
    resources = [aws_dynamodb_table.jobs.arn, "${aws_dynamodb_table.jobs.arn}/index/*"]
  }
  # The built-in labeler's Finish (dashboard or CLI) announces the end as Ground Truth would.
  statement {
    sid       = "AnnounceLabelingEnd"
    actions   = ["events:PutEvents"]
    resources = ["arn:${data.aws_partition.current.partition}:events:${var.region}:${data.aws_caller_identity.current.account_id}:event-bus/default"]
    condition {
      test     = "StringEquals"
      variable = "events:source"
      values   = ["brandvis.labeler"]
    }
  }
  statement {
    sid       = "UploadsAndResults"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${aws_s3_bucket.data.arn}/*"]
  }
  statement {
    sid       = "DataBucketList"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.data.arn]
  }
}

resource "aws_iam_policy" "worker" {
  name   = "${var.prefix}-worker"
  policy = data.aws_iam_policy_document.worker.json
}

resource "aws_iam_policy" "client" {
  name   = "${var.prefix}-client"
  policy = data.aws_iam_policy_document.client.json
}

# -- the role Ground Truth assumes: read the frames and input files, write the labels -----------
data "aws_iam_policy_document" "groundtruth_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "groundtruth" {
  statement {
    sid       = "ReadFramesAndInputs"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.data.arn}/media/*", "${aws_s3_bucket.data.arn}/labeling/*"]
  }
  statement {
    sid       = "WriteLabels"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.data.arn}/labeling/output/*"]
  }
  statement {
    sid       = "ListBucket"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.data.arn]
  }
  statement {
    sid       = "LabelingJobLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["arn:${data.aws_partition.current.partition}:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:/aws/sagemaker/LabelingJobs:*"]
  }
}

resource "aws_iam_role" "groundtruth" {
  name               = "${var.prefix}-groundtruth"
  assume_role_policy = data.aws_iam_policy_document.groundtruth_trust.json
}

resource "aws_iam_role_policy" "groundtruth" {
  name   = "${var.prefix}-groundtruth"
  role   = aws_iam_role.groundtruth.id
  policy = data.aws_iam_policy_document.groundtruth.json
}
