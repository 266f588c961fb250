"""The CDK app: turns shared/catalog.py and shared/resources.py into AWS resources."""
