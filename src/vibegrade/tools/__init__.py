"""vibegrade.tools"""
