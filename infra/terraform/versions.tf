terraform {
  required_version = ">= 1.9" # cross-variable validation and preconditions
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 7.0"
    }
  }

  # Keep state remote once more than one person applies. Create the bucket (versioned, encrypted)
  # first, then uncomment and `terraform init -migrate-state`. `use_lockfile` is S3-native locking
  # (Terraform >= 1.10); with an older Terraform, use `dynamodb_table = "<table>"` instead.
  #
  # backend "s3" {
  #   bucket       = "my-terraform-state"
  #   key          = "brandvis/terraform.tfstate"
  #   region       = "us-east-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { Project = "brandvis", Prefix = var.prefix }
  }
}
