output "worker_alias_arn" {
  value = aws_lambda_alias.worker_live.arn
}

output "orchestrator_alias_arn" {
  value = aws_lambda_alias.orchestrator_live.arn
}

output "worker_version" {
  value = aws_lambda_function.worker.version
}
