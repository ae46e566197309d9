# A reconstruction of the article's stack (Ali Haydar, "Effortlessly Juggling Multiple Concurrent
# Requests in AWS Lambda", Medium, 26 June 2023), which shows only part of its Terraform: its two
# functions, here on a custom runtime, each zip holding one executable, `bootstrap`.
# `publish = true` makes every code change a new version; the alias `live` follows it, and callers
# (and provisioned concurrency) use the alias, never a version number.

resource "aws_lambda_function" "worker" {
  function_name    = "${var.name_prefix}-worker"
  role             = aws_iam_role.worker.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["x86_64"]
  filename         = var.worker_zip
  source_code_hash = filebase64sha256(var.worker_zip)
  memory_size      = 128
  timeout          = 10
  publish          = true
}

resource "aws_lambda_alias" "worker_live" {
  name             = "live"
  function_name    = aws_lambda_function.worker.function_name
  function_version = aws_lambda_function.worker.version
}

resource "aws_lambda_provisioned_concurrency_config" "worker_live" {
  count                             = var.provisioned_concurrency > 0 ? 1 : 0
  function_name                     = aws_lambda_alias.worker_live.function_name
  qualifier                         = aws_lambda_alias.worker_live.name
  provisioned_concurrent_executions = var.provisioned_concurrency
}

resource "aws_lambda_function" "orchestrator" {
  function_name    = "${var.name_prefix}-orchestrator"
  role             = aws_iam_role.orchestrator.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["x86_64"]
  filename         = var.orchestrator_zip
  source_code_hash = filebase64sha256(var.orchestrator_zip)
  memory_size      = 128
  timeout          = 30
  publish          = true

  environment {
    variables = {
      # `{}` as the event fans out to the worker's alias, this many times at once.
      FAN_OUT_FUNCTION = aws_lambda_alias.worker_live.arn
      FAN_OUT_WIDTH    = tostring(var.fan_out_width)
    }
  }
}

resource "aws_lambda_alias" "orchestrator_live" {
  name             = "live"
  function_name    = aws_lambda_function.orchestrator.function_name
  function_version = aws_lambda_function.orchestrator.version
}
