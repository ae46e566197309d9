terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.x: the lab's control plane was checked against this provider's calls (5.100.0). 6.0
      # (18 June 2025) is a major release with breaking changes that no run here has checked.
      version = ">= 5.0, < 6.0"
    }
  }
}

# One provider for the lab and for AWS. With `endpoint` set (the lab's URL), every service this
# stack uses is sent there, and the checks that need a real account are skipped; without it, this
# is a plain AWS provider that takes credentials the usual way.
provider "aws" {
  region = var.region

  skip_credentials_validation = var.endpoint != null
  skip_requesting_account_id  = var.endpoint != null
  skip_metadata_api_check     = var.endpoint != null
  skip_region_validation      = var.endpoint != null

  endpoints {
    lambda = var.endpoint
    iam    = var.endpoint
    sts    = var.endpoint
  }
}
