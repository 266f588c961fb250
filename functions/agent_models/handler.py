from functions.agent_models.router import router
from shared.http.lambda_adapter import http_lambda_handler

handler = http_lambda_handler(router)
