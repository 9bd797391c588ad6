"""pipedrive_connector.triggers"""
