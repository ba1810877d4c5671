# Least privilege per process. Clients (dashboard task, CLI users via the client policy) write
# requests and read state; each worker group gets only its queues, its S3 prefixes and the AWS ML
# calls its stages make. tests/test_infra_iam.py replays every call the code makes against these.

locals {
  bucket_arn = aws_s3_bucket.data.arn

  # S3 prefixes per group, from what its stages read and write (shared/layout.py).
  s3_read = {
    media  = ["media/"]
    models = ["media/", "datasets/", "labeling/", "models/"]
    report = ["media/", "datasets/", "labeling/", "models/", "reports/"]
  }
  s3_write = {
    media  = ["media/"]
    models = ["media/", "labeling/", "models/"]
    report = ["datasets/", "labeling/", "reports/"]
  }
  # Groups whose stages read images a Ground Truth manifest points at (collect, train), and who
  # run models and labelers.
  reads_manifest_images = ["models", "report"]
  ml_groups             = ["models"]
  dlq_groups            = [local.queue_group["control"]]

  extra_read_objects = [for b in var.extra_read_buckets : "arn:${local.partition}:s3:::${trimsuffix(b, "/")}/*"]
  extra_read_buckets = distinct([for b in var.extra_read_buckets : "arn:${local.partition}:s3:::${split("/", b)[0]}"])
  rekognition_arn    = "arn:${local.partition}:rekognition:${var.region}:${local.account_id}:project/${var.prefix}-*"
  labeling_job_arn   = "arn:${local.partition}:sagemaker:${var.region}:${local.account_id}:labeling-job/*"
}

data "aws_iam_policy_document" "ecs_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# -- worker groups ----------------------------------------------------------------------------
data "aws_iam_policy_document" "worker" {
  for_each = local.groups

  statement {
    sid       = "ConsumeOwnQueues"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl"]
    resources = [for q in each.value : aws_sqs_queue.stage[q].arn]
  }
  # Each worker peeks at its own stages' dead letters, to fail the jobs of messages SQS
  # dead-lettered with no worker answering (shared/queues.py DeadLetterWatch). Peeking only.
  statement {
    sid       = "WatchOwnDeadLetters"
    actions   = ["sqs:ReceiveMessage", "sqs:GetQueueUrl"]
    resources = [for q in each.value : aws_sqs_queue.dlq[q].arn]
  }
  # Fan-in sends the next stage's messages, whichever group consumes them.
  statement {
    sid       = "SendNextStages"
    actions   = ["sqs:SendMessage", "sqs:GetQueueUrl"]
    resources = [for s in local.stages : aws_sqs_queue.stage[s].arn]
  }
  dynamic "statement" {
    for_each = contains(local.dlq_groups, each.key) ? [1] : []
    content {
      sid       = "RedriveDeadLetters"
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl"]
      resources = [for s in local.stages : aws_sqs_queue.dlq[s].arn]
    }
  }
  # Job records, counters and presence are updated in place; the ledger is batch-written before
  # every send. Only the label stage creates items (labeling jobs); jobs are created by clients.
  statement {
    sid       = "JobsTable"
    actions   = concat(["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:BatchWriteItem"], contains(local.ml_groups, each.key) ? ["dynamodb:PutItem"] : [])
    resources = [aws_dynamodb_table.jobs.arn, "${aws_dynamodb_table.jobs.arn}/index/*"]
  }
  statement {
    sid       = "ReadOwnPrefixes"
    actions   = ["s3:GetObject"]
    resources = [for p in local.s3_read[each.key] : "${local.bucket_arn}/${p}*"]
  }
  statement {
    sid       = "WriteOwnPrefixes"
    actions   = ["s3:PutObject"]
    resources = [for p in local.s3_write[each.key] : "${local.bucket_arn}/${p}*"]
  }
  statement {
    sid       = "ListOwnPrefixes"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for p in local.s3_read[each.key] : "${p}*"]
    }
  }
  dynamic "statement" {
    for_each = contains(local.reads_manifest_images, each.key) && length(var.extra_read_buckets) > 0 ? [1] : []
    content {
      sid       = "ReadManifestImages"
      actions   = ["s3:GetObject"]
      resources = local.extra_read_objects
    }
  }
  # Rekognition Custom Labels: brandvis's own projects (<prefix>-<model>) and their versions only.
  dynamic "statement" {
    for_each = contains(local.ml_groups, each.key) ? [1] : []
    content {
      sid = "CustomLabelsModels"
      actions = ["rekognition:CreateProject", "rekognition:CreateProjectVersion", "rekognition:DescribeProjectVersions",
      "rekognition:StartProjectVersion", "rekognition:StopProjectVersion", "rekognition:DetectCustomLabels"]
      resources = [local.rekognition_arn, "${local.rekognition_arn}/*"]
    }
  }
  dynamic "statement" {
    for_each = contains(local.ml_groups, each.key) ? [1] : []
    content {
      sid       = "CustomLabelsLookup"
      actions   = ["rekognition:DescribeProjects", "rekognition:DetectText"] # neither takes a resource
      resources = ["*"]
    }
  }
  # Ground Truth: the label stage starts a labeling job (tagged with its brandvis job).
  dynamic "statement" {
    for_each = contains(local.ml_groups, each.key) ? [1] : []
    content {
      sid       = "GroundTruthLabelingJobs"
      actions   = ["sagemaker:CreateLabelingJob", "sagemaker:DescribeLabelingJob", "sagemaker:AddTags"]
      resources = [local.labeling_job_arn]
    }
  }
  dynamic "statement" {
    for_each = contains(local.ml_groups, each.key) ? [1] : []
    content {
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
}

resource "aws_iam_role" "worker" {
  for_each           = local.groups
  name               = "${var.prefix}-worker-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.ecs_trust.json
}

resource "aws_iam_role_policy" "worker" {
  for_each = local.groups
  name     = "${var.prefix}-worker-${each.key}"
  role     = aws_iam_role.worker[each.key].id
  policy   = data.aws_iam_policy_document.worker[each.key].json
}

# -- clients: the dashboard task, and CLI users (attach the managed policy to them) -----------
data "aws_iam_policy_document" "client" {
  # A request is its first message: to a stage, or to control (redrive). Labeling events come
  # through EventBridge, never straight to the events queue.
  statement {
    sid       = "SendRequests"
    actions   = ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
    resources = [for q in local.queues : aws_sqs_queue.stage[q].arn if q != "events"]
  }
  # Queue depths and a peek at dead letters for the Operations page; moving them is a request.
  statement {
    sid       = "ReadDeadLetters"
    actions   = ["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
    resources = [for q in local.queues : aws_sqs_queue.dlq[q].arn]
  }
  statement {
    sid       = "JobsTable"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:BatchWriteItem"]
    resources = [aws_dynamodb_table.jobs.arn, "${aws_dynamodb_table.jobs.arn}/index/*"]
  }
  # The built-in labeler's Finish announces the end as Ground Truth would.
  statement {
    sid       = "AnnounceLabelingEnd"
    actions   = ["events:PutEvents"]
    resources = ["arn:${local.partition}:events:${var.region}:${local.account_id}:event-bus/default"]
    condition {
      test     = "StringEquals"
      variable = "events:source"
      values   = ["brandvis.labeler"]
    }
  }
  statement {
    sid       = "ReadResults"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arn}/*"]
  }
  statement {
    sid       = "Uploads"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/media/*", "${local.bucket_arn}/datasets/*", "${local.bucket_arn}/labeling/*"]
  }
  # The dashboard presigns a browser's POST under uploads/incoming/, then moves the file to media/.
  statement {
    sid       = "DirectUploads"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.bucket_arn}/uploads/incoming/*"]
  }
  statement {
    sid       = "ListBucket"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]
  }
}

resource "aws_iam_policy" "client" {
  name        = "${var.prefix}-client"
  description = "brandvis CLI and dashboard: submit requests, read state"
  policy      = data.aws_iam_policy_document.client.json
}

resource "aws_iam_role" "dashboard" {
  name               = "${var.prefix}-dashboard"
  assume_role_policy = data.aws_iam_policy_document.ecs_trust.json
}

resource "aws_iam_role_policy_attachment" "dashboard" {
  role       = aws_iam_role.dashboard.name
  policy_arn = aws_iam_policy.client.arn
}

# -- ECS's own role: pull the image, write the logs -------------------------------------------
data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrToken"
    actions   = ["ecr:GetAuthorizationToken"] # takes no resource
    resources = ["*"]
  }
  statement {
    sid       = "PullImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [aws_ecr_repository.brandvis.arn]
  }
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for g in aws_cloudwatch_log_group.task : "${g.arn}:*"]
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.prefix}-task-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_trust.json
}

resource "aws_iam_role_policy" "execution" {
  name   = "${var.prefix}-task-execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# -- the role Ground Truth assumes: read the frames and input files, write the labels -----------
data "aws_iam_policy_document" "groundtruth_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "groundtruth" {
  statement {
    sid       = "ReadFramesAndInputs"
    actions   = ["s3:GetObject"]
    resources = concat(["${local.bucket_arn}/media/*", "${local.bucket_arn}/labeling/*"], local.extra_read_objects)
  }
  statement {
    sid       = "WriteLabels"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/labeling/output/*"]
  }
  statement {
    sid       = "ListBucket"
    actions   = ["s3:ListBucket"]
    resources = concat([local.bucket_arn], local.extra_read_buckets)
  }
  statement {
    sid       = "LabelingJobLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/aws/sagemaker/LabelingJobs:*"]
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
