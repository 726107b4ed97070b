"""vibegrade.serve"""
