"""pipedrive_connector.component"""
