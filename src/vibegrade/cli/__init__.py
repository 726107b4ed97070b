"""vibegrade.cli"""
