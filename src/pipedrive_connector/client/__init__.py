"""pipedrive_connector.client"""
