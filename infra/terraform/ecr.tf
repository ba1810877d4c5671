# The one image every process runs (Dockerfile; `make image push`).

resource "aws_ecr_repository" "brandvis" {
  #checkov:skip=CKV_AWS_51:`make push` tags each commit and also moves `latest`; tasks pin image_tag
  #checkov:skip=CKV_AWS_136:AES256 (ECR's default); a customer key adds grants and cost for a public image
  name                 = var.prefix
  image_tag_mutability = "MUTABLE"
  force_delete         = var.force_destroy
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "AES256"
  }
}

resource "aws_ecr_lifecycle_policy" "brandvis" {
  repository = aws_ecr_repository.brandvis.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Untagged layers of replaced images go after a day"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 1 }
        action       = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the last 20 tagged images (rollbacks)"
        selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 20 }
        action       = { type = "expire" }
      },
    ]
  })
}
