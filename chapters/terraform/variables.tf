variable "endpoint" {
  description = "The lab's URL (http://127.0.0.1:PORT); null deploys to AWS."
  type        = string
  default     = null
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "fanout"
}

variable "worker_zip" {
  description = "The worker's deployment package: a zip with an executable bootstrap at its root."
  type        = string
}

variable "orchestrator_zip" {
  description = "The orchestrator's deployment package."
  type        = string
}

variable "fan_out_width" {
  description = "How many times the orchestrator invokes the worker at once."
  type        = number
  default     = 10
}

variable "provisioned_concurrency" {
  description = "Provisioned concurrency on the worker's alias; 0 for none (every concurrent call cold-starts)."
  type        = number
  default     = 0
}
