# One customer key for the alarm topic and the log groups: CloudWatch alarms can only publish to
# an encrypted topic whose key lets them, which the AWS managed SNS key does not.

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_111:a key policy's "*" resource means this key only
  #checkov:skip=CKV_AWS_356:a key policy's "*" resource means this key only
  #checkov:skip=CKV_AWS_109:the account root administers its own key (AWS's default key policy)
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"] # a key policy's resource is the key itself
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
  statement {
    sid       = "AlarmsPublish"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }
  statement {
    sid       = "LogsEncrypt"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/brandvis/${var.prefix}/*"]
    }
  }
}

resource "aws_kms_key" "brandvis" {
  description             = "${var.prefix}: alarm topic and task logs"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "brandvis" {
  name          = "alias/${var.prefix}"
  target_key_id = aws_kms_key.brandvis.key_id
}
