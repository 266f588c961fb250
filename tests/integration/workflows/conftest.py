from tests.workflows.fixtures import echo_server, workflow_runtime

__all__ = ["echo_server", "workflow_runtime"]
