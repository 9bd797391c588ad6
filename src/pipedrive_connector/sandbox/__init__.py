"""pipedrive_connector.sandbox"""
