# One private, encrypted bucket. Everything under media/ (uploaded videos, probe, frames, sprites,
# detections) is derived or re-uploadable and is keyed by content, so it expires; models/,
# reports/, datasets/ and labeling/ stay, and versioning keeps earlier models and reports.

resource "aws_s3_bucket" "data" {
  #checkov:skip=CKV_AWS_18:access logs need a second bucket; CloudTrail data events are the audit trail if wanted
  #checkov:skip=CKV_AWS_144:cross-region replication doubles storage for data that is derived or kept in models/reports
  #checkov:skip=CKV2_AWS_62:no consumer of object events: work starts from queue messages, not S3 notifications
  #checkov:skip=CKV_AWS_145:SSE-S3 on purpose: Rekognition and Ground Truth read frames without KMS grants
  bucket        = local.bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_public_access_block" "data" {
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = true
  }
}

# S3 versions a whole bucket; the lifecycle below keeps old versions only where they matter.
resource "aws_s3_bucket_versioning" "data" {
  bucket = aws_s3_bucket.data.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "data" {
  bucket     = aws_s3_bucket.data.id
  depends_on = [aws_s3_bucket_versioning.data]

  rule {
    id     = "expire-media"
    status = "Enabled"
    filter {
      prefix = "media/"
    }
    expiration {
      days = var.media_expiry_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  # Models and reports: earlier versions stay this long after being replaced (retraining a model
  # or re-running a report overwrites the same keys).
  rule {
    id     = "keep-model-and-report-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 2
    }
  }

  # A browser's upload the dashboard never adopted (the tab closed mid-way).
  rule {
    id     = "expire-abandoned-uploads"
    status = "Enabled"
    filter {
      prefix = "uploads/incoming/"
    }
    expiration {
      days = 1
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  rule {
    id     = "remove-expired-delete-markers"
    status = "Enabled"
    filter {
      prefix = "media/"
    }
    expiration {
      expired_object_delete_marker = true
    }
  }
}

# The Analyze page posts videos from the browser straight to the bucket (a presigned POST, never through
# the dashboard's memory): the browser needs CORS for the dashboard's origin. Without dashboard_domain
# there is no origin to name, and uploads go through the dashboard (BRANDVIS_UPLOAD_DIRECT in dashboard.tf).
resource "aws_s3_bucket_cors_configuration" "data" {
  count  = var.dashboard_enabled && var.dashboard_domain != "" ? 1 : 0
  bucket = aws_s3_bucket.data.id
  cors_rule {
    allowed_methods = ["POST"]
    allowed_origins = ["https://${var.dashboard_domain}"]
    allowed_headers = ["*"]
    max_age_seconds = 3600
  }
}

resource "aws_s3_bucket_policy" "tls_only" {
  bucket = aws_s3_bucket.data.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.data.arn, "${aws_s3_bucket.data.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
  depends_on = [aws_s3_bucket_public_access_block.data]
}
